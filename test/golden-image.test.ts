// Golden test image (scripts/golden-image), checked without booting it: the builder is run as
// the technician runs it, then the disk file is read with the tools a technician would use
// (sfdisk --json, mtools, debugfs). Also: two builds from the same inputs give the same bytes,
// and options reach the image. Needs the Debian packages of scripts/install-deps.sh and apt
// access for the first kernel download (cached in var/cache/preboot, shared with build-preboot).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { access, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { parseCloneMarker } from './helpers/clone-marker.js';
import { tempDir } from './helpers/temp-dir.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'scripts', 'golden-image', 'dist', 'main.js');
const BUILD_TIMEOUT_MS = 10 * 60_000;
const MIB = 1024 * 1024;
/** Debian keeps sfdisk, debugfs and mkfs.* in /usr/sbin. */
const ENV = { ...process.env, PATH: `${process.env['PATH'] ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`, MTOOLS_SKIP_CHECK: '1' };

interface BuildJson {
  sha256: string;
  kernel: { package: string; version: string; release: string };
  layout: { diskBytes: number; esp: { startSector: number; sectors: number }; root: { startSector: number; sectors: number } };
}

interface SfdiskJson {
  partitiontable: {
    label: string; id: string; firstlba: number; lastlba: number; sectorsize: number;
    partitions: { start: number; size: number; type: string; uuid: string; name: string; attrs?: string }[];
  };
}

async function build(out: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<BuildJson> {
  const { stdout } = await execFileAsync(process.execPath, [MAIN, out, '--json', ...args], { cwd: ROOT, env: { ...ENV, ...env }, timeout: BUILD_TIMEOUT_MS, maxBuffer: 8 * MIB });
  return JSON.parse(stdout) as BuildJson;
}

async function run(cmd: string, args: readonly string[]): Promise<string> {
  return (await execFileAsync(cmd, args, { env: ENV, maxBuffer: 64 * MIB, encoding: 'latin1' })).stdout;
}

async function runBytes(cmd: string, args: readonly string[]): Promise<Buffer> {
  return (await execFileAsync(cmd, args, { env: ENV, maxBuffer: 64 * MIB, encoding: 'buffer' })).stdout;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const sha256File = async (path: string): Promise<string> => sha256(await readFile(path));

let work: Awaited<ReturnType<typeof tempDir>>;
let golden: string;
let goldenJson: BuildJson;
let ext4: string;
let fat: string;

/** One file of the root file system, read with debugfs straight from the disk file. */
const rootFile = (path: string, image = ext4): Promise<string> => run('debugfs', ['-R', `cat ${path}`, image]);

before(async () => {
  work = await tempDir('golden-image');
  golden = join(work.path, 'golden.img');
  goldenJson = await build(golden);
  ext4 = `${golden}?offset=${goldenJson.layout.root.startSector * 512}`;
  fat = `${golden}@@${goldenJson.layout.esp.startSector * 512}`;
});

after(async () => { await work?.remove(); });

describe('golden image builder', () => {
  test('two builds from the same inputs are byte-identical; the reported sha256 is the file\'s', async () => {
    const again = join(work.path, 'again.img');
    const json = await build(again);
    const [a, b] = await Promise.all([sha256File(golden), sha256File(again)]);
    assert.equal(a, goldenJson.sha256);
    assert.equal(b, a);
    assert.equal(json.sha256, a);
  });

  test('another SOURCE_DATE_EPOCH gives other bytes', async () => {
    const json = await build(join(work.path, 'epoch.img'), [], { SOURCE_DATE_EPOCH: '1600000000' });
    assert.notEqual(json.sha256, goldenJson.sha256);
  });

  test('GPT: ESP of 64 MiB at 1 MiB, legacy-BIOS-bootable; root ext4 last, to the end of the usable space', async () => {
    const { partitiontable: pt } = JSON.parse(await run('sfdisk', ['--json', golden])) as SfdiskJson;
    assert.equal(pt.label, 'gpt');
    assert.equal(pt.sectorsize, 512);
    assert.equal(pt.id, '8E6C7A52-0B1D-4F3E-9A2C-5D4B3A291807');
    assert.equal(pt.partitions.length, 2);
    const [esp, root] = pt.partitions;
    assert.deepEqual(esp, { node: `${golden}1`, start: 2048, size: 64 * 2048, type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B',
      uuid: '2F1A9C3E-6B5D-4A7E-8C9F-0E1D2C3B4A51', name: 'EFI System', attrs: 'LegacyBIOSBootable' });
    assert.equal(root?.start, 2048 + 64 * 2048);
    assert.equal(root?.type, '0FC63DAF-8483-4772-8E79-3D69D8477DE4');
    assert.equal(root?.name, 'root');
    assert.equal(root?.attrs, undefined);
    // Last partition ends on the last whole MiB before the backup GPT (33 sectors at the end).
    assert.equal((root?.start ?? 0) + (root?.size ?? 0), 512 * 2048 - 2048);
    assert.equal(pt.lastlba, 512 * 2048 - 34);
    assert.equal((await stat(golden)).size, 512 * MIB);
  });

  test('the file is sparse: most of the 512 MiB occupies nothing on the host', async () => {
    const info = await stat(golden);
    assert.ok(info.blocks * 512 < 64 * MIB, `allocated ${info.blocks * 512} bytes`);
  });

  test('protective MBR: syslinux gptmbr.bin as boot code, one 0xEE entry, boot signature', async () => {
    const mbr = (await readFile(golden)).subarray(0, 512);
    const gptmbr = await readFile('/usr/lib/syslinux/mbr/gptmbr.bin');
    assert.ok(mbr.subarray(0, 440).equals(gptmbr.subarray(0, 440)));
    assert.equal(mbr[446 + 4], 0xee);
    assert.equal(mbr.readUInt16LE(510), 0xaa55);
  });

  test('ESP: syslinux boot sector with the partition start as hidden sectors, kernel, initramfs, BIOS and UEFI loaders', async () => {
    const boot = (await readFile(golden)).subarray(MIB, MIB + 512);
    assert.equal(boot.subarray(3, 11).toString('latin1'), 'SYSLINUX');
    assert.equal(boot.readUInt32LE(0x1c), 2048);
    assert.equal(boot.subarray(0x52, 0x5a).toString('latin1'), 'FAT32   ');
    const files = (await run('mdir', ['-a', '-/', '-b', '-i', fat, '::'])).split('\n').map((l) => l.trim()).filter(Boolean).sort();
    for (const f of ['::/vmlinuz', '::/initrd.img', '::/syslinux.cfg', '::/ldlinux.sys', '::/ldlinux.c32',
      '::/EFI/BOOT/BOOTX64.EFI', '::/EFI/BOOT/ldlinux.e64', '::/EFI/BOOT/syslinux.cfg']) assert.ok(files.includes(f), `${f} in ${files.join(' ')}`);
    const fatFile = (path: string): Promise<Buffer> => runBytes('mcopy', ['-n', '-i', fat, `::${path}`, '-']);
    assert.equal(sha256(await fatFile('/EFI/BOOT/BOOTX64.EFI')), await sha256File('/usr/lib/SYSLINUX.EFI/efi64/syslinux.efi'));
    assert.equal(sha256(await fatFile('/EFI/BOOT/ldlinux.e64')), await sha256File('/usr/lib/syslinux/modules/efi64/ldlinux.e64'));
    const k = goldenJson.kernel;
    const vmlinuz = join(ROOT, 'var', 'cache', 'preboot', 'kernel', `${k.package}_${k.version.replace(/:/g, '%3a')}`, 'boot', `vmlinuz-${k.release}`);
    assert.equal(sha256(await fatFile('/vmlinuz')), await sha256File(vmlinuz));
    const cfg = (await fatFile('/syslinux.cfg')).toString('utf8');
    assert.equal((await fatFile('/EFI/BOOT/syslinux.cfg')).toString('utf8'), cfg);
    assert.match(cfg, /^SERIAL 0 115200$/m);
    assert.match(cfg, /^ {2}APPEND .*console=ttyS0,115200.* root=LABEL=root/m);
    const initrd = await fatFile('/initrd.img');
    assert.equal(initrd.readUInt32LE(0), 0xfd2fb528, 'initramfs is zstd-compressed');
  });

  test('root ext4: label, fixed UUID, 4 KiB blocks, and a clean check', async () => {
    const header = await run('dumpe2fs', ['-h', ext4]);
    assert.match(header, /^Filesystem volume name:\s+root$/m);
    assert.match(header, /^Filesystem UUID:\s+4d2c1b0a-8f7e-4d6c-9b5a-3e2f1a0b9c87$/m);
    assert.match(header, /^Block size:\s+4096$/m);
    assert.match(header, /^Inode size:\s+256$/m);
    await run('e2fsck', ['-fn', ext4]);
  });

  test('root ext4: identity, network configuration, dummy host keys, init and NIC modules', async () => {
    assert.equal(await rootFile('/etc/hostname'), 'golden\n');
    assert.equal(await rootFile('/etc/machine-id'), '6f1d0e6a4c3b4e2d9a8b7c6d5e4f3a21\n');
    assert.match(await rootFile('/etc/hosts'), /^127\.0\.1\.1\tgolden$/m);
    assert.match(await rootFile('/etc/network/interfaces'), /^iface eth0 inet dhcp$/m);
    assert.match(await rootFile('/etc/netplan/50-golden.yaml'), /macaddress: "52:54:00:60:1d:00"/);
    assert.match(await rootFile('/etc/systemd/network/10-golden.network'), /^MACAddress=52:54:00:60:1d:00$/m);
    const ssh = await run('debugfs', ['-R', 'ls -l /etc/ssh', ext4]);
    for (const type of ['ecdsa', 'ed25519', 'rsa']) {
      assert.match(ssh, new RegExp(`100600 \\(1\\)\\s+0\\s+0\\s+\\d+ .* ssh_host_${type}_key\\s*$`, 'm'));
      assert.match(ssh, new RegExp(`100644 \\(1\\)\\s+0\\s+0\\s+\\d+ .* ssh_host_${type}_key\\.pub\\s*$`, 'm'));
    }
    const init = await run('debugfs', ['-R', 'stat /sbin/init', ext4]);
    assert.match(init, /Mode:\s+0755/);
    assert.match(await rootFile('/sbin/init'), /^echo "RACKCAST-CLONE hostname=/m);
    assert.match(await run('debugfs', ['-R', 'stat /bin/sh', ext4]), /Type: symlink/);
    const nic = await rootFile(`/lib/modules/${goldenJson.kernel.release}/golden-nic-modules.list`);
    assert.match(nic, /virtio_net\.ko$/m);
    assert.match(nic, /e1000\.ko$/m);
    for (const mod of nic.trim().split('\n')) {
      assert.match(await run('debugfs', ['-R', `stat /lib/modules/${goldenJson.kernel.release}/${mod}`, ext4]), /Type: regular/);
    }
  });

  test('--hostname, --machine-id and --size reach the image', async () => {
    const out = join(work.path, 'small.img');
    const json = await build(out, ['--hostname', 'web-07', '--machine-id', '0123456789abcdef0123456789abcdef', '--size', '128M']);
    assert.equal((await stat(out)).size, 128 * MIB);
    assert.equal(json.layout.diskBytes, 128 * MIB);
    const image = `${out}?offset=${json.layout.root.startSector * 512}`;
    assert.equal(await rootFile('/etc/hostname', image), 'web-07\n');
    assert.equal(await rootFile('/etc/machine-id', image), '0123456789abcdef0123456789abcdef\n');
    assert.notEqual(json.sha256, goldenJson.sha256);
  });

  for (const [args, code] of [
    [['--hostname', 'bad_name'], 'RC_ERR_GOLDEN_BAD_OPTION'],
    [['--machine-id', 'xyz'], 'RC_ERR_GOLDEN_BAD_OPTION'],
    [['--size', '64M'], 'RC_ERR_GOLDEN_TOO_SMALL'],
  ] as const) {
    test(`${args.join(' ')} is refused with ${code} and writes nothing`, async () => {
      const out = join(work.path, `refused-${code}.img`);
      await assert.rejects(build(out, args), (err: Error & { stderr?: string }) => (err.stderr ?? '').includes(code));
      await assert.rejects(access(out));
    });
  }
});

describe('clone marker line', () => {
  test('parses every field; mac=none means no NIC', () => {
    const log = 'noise\r\nRACKCAST-CLONE hostname=web-07 machine-id=0123456789abcdef0123456789abcdef mac=52:54:00:aa:bb:cc disk-bytes=1073741824 rootfs-bytes=442847232 firmware=uefi address=10.77.0.50/24\r\n[ 3.1] reboot: Power down\r\n';
    assert.deepEqual(parseCloneMarker(log), { hostname: 'web-07', machineId: '0123456789abcdef0123456789abcdef', mac: '52:54:00:aa:bb:cc',
      diskBytes: 1073741824, rootfsBytes: 442847232, firmware: 'uefi', address: '10.77.0.50/24' });
    assert.equal(parseCloneMarker(log.replace('mac=52:54:00:aa:bb:cc', 'mac=none'))?.mac, null);
  });

  test('a missing or garbled line gives null', () => {
    assert.equal(parseCloneMarker('golden-init: root /dev/vda2\n'), null);
    assert.equal(parseCloneMarker('RACKCAST-CLONE hostname=a machine-id=b mac=none disk-bytes=x rootfs-bytes=1 firmware=bios address=dhcp\n'), null);
    assert.equal(parseCloneMarker('RACKCAST-CLONE hostname=a machine-id=b mac=none disk-bytes=1 rootfs-bytes=1 firmware=coreboot address=dhcp\n'), null);
    assert.equal(parseCloneMarker('RACKCAST-CLONE hostname=a machine-id=b mac=none disk-bytes=1 rootfs-bytes=1 firmware=bios\n'), null, 'no address field');
  });
});
