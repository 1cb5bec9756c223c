import { join } from 'node:path';
import type { PackageFile } from './agent-bundle.js';
import { ImagePlan } from './image-plan.js';

/** Everything the agent archive (agent.img) is made of. */
export interface AgentInputs {
  /** The esbuild bundle of the agent. */
  readonly bundle: string;
  /** Example: 0.1.0 */
  readonly agentVersion: string;
  /** Native addon files for /app/node_modules. */
  readonly addons: readonly PackageFile[];
  /** preboot-image/builder/image-files: init, udhcpc-hook, selftest.mjs. */
  readonly imageFilesDir: string;
}

/**
 * The plan of agent.img: /init, the DHCP hook, the agent bundle and its native addons. It is
 * the small archive that changes with every agent build; the kernel unpacks it over the base.
 */
export async function planAgent(inputs: AgentInputs): Promise<ImagePlan> {
  const plan = new ImagePlan();
  const file = (name: string): string => join(inputs.imageFilesDir, name);
  await plan.addFile('init', file('init'), 0o755);
  await plan.addFile('usr/share/rackcast/udhcpc-hook', file('udhcpc-hook'), 0o755);
  await plan.addFile('app/selftest.mjs', file('selftest.mjs'));
  await plan.addFile('app/rackcast-agent.js', inputs.bundle);
  // The bundle is an ES module; without this node would read /app/*.js as CommonJS.
  plan.addData('app/package.json', '{ "private": true, "type": "module" }\n');
  for (const f of inputs.addons) {
    await plan.addFile(`app/node_modules/${f.path}`, f.source, f.path.endsWith('.node') ? 0o755 : 0o644);
  }
  plan.addData('etc/rackcast/agent-version', `${inputs.agentVersion}\n`);
  return plan;
}
