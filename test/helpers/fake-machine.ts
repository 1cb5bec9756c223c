import { mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** One made-up machine for a real `rackcast-agent boot` on this host: a fake sysfs with one disk, and that disk as a file. */
export interface FakeMachine {
  readonly mac: string;
  /** --sysfs-root for the agent. */
  readonly sysfs: string;
  /** --dev-dir for the agent: holds the disk file under the disk's kernel name. */
  readonly devDir: string;
  /** The disk file the agent writes. */
  readonly diskPath: string;
}

export interface FakeMachineOptions {
  readonly mac: string;
  readonly diskName?: string;
  readonly diskBytes: number;
  readonly serial: string;
  /** Bytes written at the disk's start, so "untouched" can be checked; default none (all zeros). */
  readonly initialHead?: Buffer;
}

async function put(root: string, rel: string, text: string): Promise<void> {
  await mkdir(dirname(join(root, rel)), { recursive: true });
  await writeFile(join(root, rel), text);
}

/**
 * Lays out a sysfs the agent's disk probe reads like a virtio disk's (size in 512-byte
 * sectors, serial, queue attributes, the block/<name> symlink into devices/), and creates the
 * disk as a sparse file of the same size in its own dev folder.
 */
export async function fakeMachine(dir: string, o: FakeMachineOptions): Promise<FakeMachine> {
  const name = o.diskName ?? 'vda';
  const tag = o.mac.replaceAll(':', '');
  const sysfs = join(dir, `sys-${tag}`);
  const devDir = join(dir, `dev-${tag}`);
  const device = `devices/pci0000:00/0000:00:04.0/virtio1/block/${name}`;
  const files: Record<string, string> = {
    size: `${o.diskBytes / 512}\n`, removable: '0\n', ro: '0\n', serial: `${o.serial}\n`,
    'queue/logical_block_size': '512\n', 'queue/physical_block_size': '512\n', 'queue/rotational': '0\n',
  };
  for (const [rel, text] of Object.entries(files)) await put(sysfs, `${device}/${rel}`, text);
  await mkdir(join(sysfs, 'block'), { recursive: true });
  await symlink(`../${device}`, join(sysfs, 'block', name));
  await mkdir(devDir, { recursive: true });
  const diskPath = join(devDir, name);
  const handle = await open(diskPath, 'w');
  try {
    await handle.truncate(o.diskBytes);
    if (o.initialHead) await handle.write(o.initialHead, 0, o.initialHead.byteLength, 0);
  } finally {
    await handle.close();
  }
  return { mac: o.mac, sysfs, devDir, diskPath };
}
