import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ImagePlan, type KernelTree } from '../../../preboot-image/builder/dist/index.js';
import type { Busybox } from './host-inputs.js';
import { addModuleFiles, moduleFiles, NIC_MODULES } from './kernel-modules.js';
import { GOLDEN_IDS, ROOT_LABEL } from './layout.js';

/** What makes one golden image different from another. */
export interface RootIdentity {
  readonly hostname: string;
  readonly machineId: string;
}

/** Host keys a real system would have: dummies, so that a test can show personalisation removed them. */
export const SSH_HOST_KEYS = ['ssh_host_ecdsa_key', 'ssh_host_ed25519_key', 'ssh_host_rsa_key'] as const;

const dummyKey = (name: string): string =>
  `-----BEGIN OPENSSH PRIVATE KEY-----\nRACKCAST GOLDEN IMAGE DUMMY ${name}: not a key. A deployed clone must not have this file.\n-----END OPENSSH PRIVATE KEY-----\n`;
const dummyPublicKey = (name: string, hostname: string): string => `${name.replace(/^ssh_host_|_key$/g, '')} RACKCAST-GOLDEN-DUMMY root@${hostname}\n`;

/** Files under image-files/rootfs whose mode is not 0644. */
const MODES: Readonly<Record<string, number>> = { 'sbin/init': 0o755, 'etc/netplan/50-golden.yaml': 0o600 };

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

function addIdentity(plan: ImagePlan, id: RootIdentity): void {
  plan.addData('etc/hostname', `${id.hostname}\n`);
  plan.addData('etc/machine-id', `${id.machineId}\n`, 0o444);
  // Debian keeps D-Bus's copy as a link to the same id.
  plan.addSymlink('var/lib/dbus/machine-id', '/etc/machine-id');
  plan.addData('etc/hosts', `127.0.0.1\tlocalhost\n127.0.1.1\t${id.hostname}\n::1\tlocalhost ip6-localhost ip6-loopback\n`);
  plan.addData('etc/fstab', `# <file system> <mount point> <type> <options> <dump> <pass>\nLABEL=${ROOT_LABEL}\t/\text4\terrors=remount-ro\t0\t1\n` +
    `PARTUUID=${GOLDEN_IDS.espPartUuid.toLowerCase()}\t/boot/efi\tvfat\tumask=0077\t0\t1\n`);
  for (const key of SSH_HOST_KEYS) {
    plan.addData(`etc/ssh/${key}`, dummyKey(key), 0o600);
    plan.addData(`etc/ssh/${key}.pub`, dummyPublicKey(key, id.hostname));
  }
}

/**
 * The root file system: busybox with its applets, the init script that prints the marker
 * line, the identity files personalisation changes, network configuration as a technician's
 * machine would have it (ifupdown, netplan, systemd-networkd) and the NIC modules.
 */
export async function planRoot(kernel: KernelTree, busybox: Busybox, imageFilesDir: string, id: RootIdentity): Promise<ImagePlan> {
  const plan = new ImagePlan();
  for (const d of ['dev', 'proc', 'sys', 'run', 'mnt', 'boot/efi', 'home', 'var/log', 'etc/network/interfaces.d']) plan.addDir(d);
  plan.addDir('root', 0o700);
  plan.addDir('tmp', 0o1777);
  plan.addDir('var/tmp', 0o1777);
  const rootfsDir = join(imageFilesDir, 'rootfs');
  for (const file of await listFiles(rootfsDir)) await plan.addFile(file, join(rootfsDir, file), MODES[file] ?? 0o644);
  addIdentity(plan, id);
  await plan.addFile('bin/busybox', busybox.path, 0o755);
  for (const applet of busybox.applets) if (!plan.has(applet)) plan.addSymlink(applet, '/bin/busybox');
  const base = `lib/modules/${kernel.release}`;
  await addModuleFiles(plan, kernel, await moduleFiles(kernel, NIC_MODULES), base, `${base}/golden-nic-modules.list`);
  return plan;
}
