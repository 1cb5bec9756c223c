import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

// The module boundaries of the style guide are enforced by lint; this proves a wrong import
// fails it and a right one passes, by linting source text as if it sat at a given path.
const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const rules = new Set(['no-restricted-imports', '@typescript-eslint/no-restricted-imports']);
  return (result?.messages ?? []).filter((m) => m.ruleId !== null && rules.has(m.ruleId)).map((m) => m.message);
}

const cases: readonly [string, string, boolean][] = [
  ['wire/src/manifest/probe.ts', "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n", false],
  ['wire/src/manifest/probe.ts', "import { createSocket } from 'dgram';\nexport const f = createSocket;\n", false],
  ['wire/src/manifest/probe.ts', "import { createHash } from 'node:crypto';\nexport const f = createHash;\n", true],
  ['server/src/store/probe.ts', "import { x } from '../api/images.js';\nexport const f = x;\n", false],
  ['server/src/store/probe.ts', "import { encodeManifest } from '@rackcast/wire';\nexport const f = encodeManifest;\n", true],
  ['server/src/net/probe.ts', "import { x } from '../store/index.js';\nexport const f = x;\n", false],
  ['server/src/api/probe.ts', "import { x } from '../store/block-store.js';\nexport const f = x;\n", false],
  ['server/src/api/probe.ts', "import { x } from '../store/index.js';\nexport const f = x;\n", true],
  ['preboot-image/agent/src/probe.ts', "import { x } from '@rackcast/server';\nexport const f = x;\n", false],
  ['test/probe.ts', "import { x } from '../server/src/store/image-store.js';\nexport const f = x;\n", false],
  ['server/ui/src/probe.ts', "import { x } from '../../src/store/index.js';\nexport const f = x;\n", false],
  ['server/ui/src/probe.ts', "import { x } from '@rackcast/wire';\nexport const f = x;\n", false],
  ['server/ui/src/probe.ts', "import type { MachineProfile } from '@rackcast/wire';\nexport type P = MachineProfile;\n", true],
  ['server/ui/src/probe.ts', "import { x } from '@rackcast/server';\nexport const f = x;\n", false],
  ['server/ui/src/probe.ts', "import { render } from 'preact';\nexport const f = render;\n", true],
];

for (const [path, code, allowed] of cases) {
  test(`${allowed ? 'allows' : 'refuses'} ${code.split('\n')[0]} in ${path}`, async () => {
    const messages = await restrictedImports(path, code);
    if (allowed) assert.deepEqual(messages, []);
    else assert.ok(messages.length > 0, 'expected a no-restricted-imports error');
  });
}
