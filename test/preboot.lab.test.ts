// Lab test of the preboot image (preboot-image/builder). It builds the image with the command a
// technician runs (scripts/build-preboot: cached, so usually a no-op), then boots it under QEMU
// by direct kernel boot (software emulation, 1 vCPU, 2 GiB) and reads the serial console:
//   1. self-test boot, no NIC: node, the agent bundle and its native addons run in the image;
//   2. one virtio-net NIC on a tap in a namespace this test creates, where busybox udhcpd hands
//      out an address: /init picks the NIC named by BOOTIF and brings it up with DHCP;
//   3. two builds from the same inputs give byte-identical files; an unchanged build does nothing.
// Traffic stays inside that namespace (no uplink). Needs root, qemu-system-x86, busybox-static,
// iproute2 and apt access for the first kernel download (scripts/install-deps.sh).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { bootDirect, type DirectBootResult } from './helpers/direct-boot.js';
import { runScript, type ScriptRun } from './helpers/run-script.js';
import { tempDir } from './helpers/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PREBOOT = join(ROOT, 'var', 'preboot');
const OUTPUTS = ['vmlinuz', 'initrd.img', 'agent.img', 'manifest.json'] as const;
const BUILD_TIMEOUT_MS = 10 * 60_000;
const BOOT_TIMEOUT_MS = 5 * 60_000;
const SELFTEST = /RACKCAST-SELFTEST (\S+) agent=(\S*) node=(\S+) modules=(\d+) memMiB=(\d+) availMiB=(\d+) addons=(.*)$/m;


/** Runs scripts/build-preboot; its process group is killed if it overruns. */
const runBuild = (args: readonly string[]): Promise<ScriptRun> => runScript('build-preboot', args, BUILD_TIMEOUT_MS);

const sha256 = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex');

function tail(result: DirectBootResult): string {
  return result.log.split('\n').slice(-40).join('\n');
}

let work: Awaited<ReturnType<typeof tempDir>>;
let combinedInitrd: string;
let agentVersion: string;
let nodeVersion: string;

before(async () => {
  work = await tempDir('preboot-lab');
  const build = await runBuild([]);
  process.stdout.write(`build-preboot (var/preboot) took ${build.seconds.toFixed(1)} s:\n${build.stdout}`);
  const manifest = JSON.parse(await readFile(join(PREBOOT, 'manifest.json'), 'utf8')) as { node: { version: string }; agent: { version: string } };
  nodeVersion = manifest.node.version;
  agentVersion = (JSON.parse(await readFile(join(ROOT, 'preboot-image', 'agent', 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(manifest.agent.version, agentVersion);
  // QEMU's -initrd takes one file; iPXE loads the two one after the other, which is the same.
  combinedInitrd = join(work.path, 'combined.img');
  await writeFile(combinedInitrd, Buffer.concat([await readFile(join(PREBOOT, 'initrd.img')), await readFile(join(PREBOOT, 'agent.img'))]));
});

after(async () => { await work?.remove(); });

describe('preboot image under QEMU', () => {
  test('self-test boot: node, the agent and its native addons run, with about 2 GiB of RAM', async (t) => {
    const result = await bootDirect({
      kernel: join(PREBOOT, 'vmlinuz'), initrd: combinedInitrd, append: 'console=ttyS0 rackcast.selftest=1 panic=-1',
      timeoutMs: BOOT_TIMEOUT_MS, logFile: join(work.path, 'selftest.log'),
    }, { init: /Run \/init/, modules: /rackcast-preboot: modules loaded/, selftest: /RACKCAST-SELFTEST/ });
    assert.ok(!result.timedOut, `no power-off within ${BOOT_TIMEOUT_MS / 1000} s:\n${tail(result)}`);
    assert.match(result.log, /rackcast-preboot: network skipped \(no network interface\)/);
    const line = SELFTEST.exec(result.log);
    assert.ok(line, `no RACKCAST-SELFTEST line:\n${tail(result)}`);
    const [, verdict, agent, node, modules, memMiB, availMiB, addons] = line;
    assert.equal(addons?.trim(), 'ok', 'native addons lz4-napi and @napi-rs/blake-hash load and compute in the VM');
    assert.equal(agent, agentVersion, 'rackcast-agent --version');
    assert.equal(node, nodeVersion);
    assert.equal(verdict, 'ok');
    assert.ok(Number(modules) >= 5, `modules loaded: ${modules}`);
    assert.ok(Number(memMiB) > 1800 && Number(memMiB) <= 2048, `MemTotal ${memMiB} MiB`);
    assert.ok(Number(availMiB) > 1024, `only ${availMiB} MiB available after boot: the image leaves too little room`);
    t.diagnostic(`/init at ${result.marks.get('init')} s, modules at ${result.marks.get('modules')} s, ` +
      `self-test line at ${result.marks.get('selftest')} s, power-off at ${result.seconds.toFixed(1)} s; ` +
      `MemTotal ${memMiB} MiB, available ${availMiB} MiB, ${modules} modules`);
  });

  test('an agent that exits is restarted a bounded number of times, then the machine powers off as asked', async () => {
    // No rackcast.server= on the command line: the agent's boot command gives up at once.
    const result = await bootDirect({
      kernel: join(PREBOOT, 'vmlinuz'), initrd: combinedInitrd, timeoutMs: BOOT_TIMEOUT_MS, logFile: join(work.path, 'restarts.log'),
      append: 'console=ttyS0 panic=-1 rackcast.restarts=2 rackcast.after=poweroff',
    });
    assert.ok(!result.timedOut, `no power-off within ${BOOT_TIMEOUT_MS / 1000} s:\n${tail(result)}`);
    const markers = result.log.split('\n').filter((l) => l.startsWith('rackcast-preboot: agent') || l.startsWith('rackcast-preboot: poweroff'));
    assert.deepEqual(markers.map((l) => l.trim().replace(/code \d+/, 'code N')), [
      'rackcast-preboot: agent start (1/2)', 'rackcast-preboot: agent exited (code N)',
      'rackcast-preboot: agent start (2/2)', 'rackcast-preboot: agent exited (code N)',
      'rackcast-preboot: agent gave up after 2 runs', 'rackcast-preboot: poweroff',
    ]);
    assert.match(result.log, /reboot: Power down/);
  });

  describe('with a NIC on a tap in a namespace serving DHCP', () => {
    const ns = `rcpb${process.pid % 1_000_000}`;
    const mac = '52:54:00:91:00:01';
    let udhcpd: ChildProcess | undefined;
    const deleteNamespace = (): void => { spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5_000 }); };

    before(async () => {
      process.on('exit', deleteNamespace);
      const ip = (...args: string[]): void => {
        const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
        assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
      };
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', ns, 'addr', 'add', '10.91.0.1/24', 'dev', 'br0');
      ip('-n', ns, 'link', 'set', 'br0', 'up');
      ip('-n', ns, 'tuntap', 'add', 'dev', 'tap0', 'mode', 'tap');
      ip('-n', ns, 'link', 'set', 'tap0', 'master', 'br0', 'up');
      const conf = join(work.path, 'udhcpd.conf');
      await writeFile(join(work.path, 'udhcpd.leases'), '');
      await writeFile(conf, [`start 10.91.0.100`, `end 10.91.0.120`, `interface br0`, `lease_file ${join(work.path, 'udhcpd.leases')}`,
        `pidfile ${join(work.path, 'udhcpd.pid')}`, 'opt subnet 255.255.255.0', 'opt lease 600', ''].join('\n'));
      udhcpd = spawn('ip', ['netns', 'exec', ns, 'busybox', 'udhcpd', '-f', conf], { stdio: 'ignore', detached: true });
    });

    after(() => {
      if (udhcpd?.pid && udhcpd.exitCode === null) process.kill(-udhcpd.pid, 'SIGKILL');
      deleteNamespace();
      process.off('exit', deleteNamespace);
    });

    test('/init brings up the BOOTIF NIC with DHCP and prints its address', async (t) => {
      const result = await bootDirect({
        kernel: join(PREBOOT, 'vmlinuz'), initrd: combinedInitrd, netns: ns, timeoutMs: BOOT_TIMEOUT_MS, logFile: join(work.path, 'network.log'),
        append: `console=ttyS0 rackcast.selftest=1 panic=-1 BOOTIF=01-${mac.replace(/:/g, '-')}`,
        qemuArgs: ['-netdev', 'tap,id=n0,ifname=tap0,script=no,downscript=no', '-device', `virtio-net-pci,netdev=n0,mac=${mac}`],
      }, { network: /rackcast-preboot: network up/, selftest: /RACKCAST-SELFTEST/ });
      assert.ok(!result.timedOut, `no power-off within ${BOOT_TIMEOUT_MS / 1000} s:\n${tail(result)}`);
      const up = /rackcast-preboot: network up (\S+) (\d+\.\d+\.\d+\.\d+)/.exec(result.log);
      assert.ok(up, `no "network up" marker:\n${tail(result)}`);
      assert.equal(up[1], 'eth0');
      const last = Number(up[2]?.split('.')[3]);
      assert.ok(up[2]?.startsWith('10.91.0.') && last >= 100 && last <= 120, `address ${up[2]} is not from the test's udhcpd range`);
      assert.match(result.log, /RACKCAST-SELFTEST ok /);
      t.diagnostic(`network up at ${result.marks.get('network')} s, self-test line at ${result.marks.get('selftest')} s`);
    });
  });
});

describe('preboot builder', () => {
  test('two builds from the same inputs give identical files; an unchanged build does nothing', async (t) => {
    const a = join(work.path, 'build-a');
    const b = join(work.path, 'build-b');
    const first = await runBuild(['--out', a, '--force']);
    const second = await runBuild(['--out', b, '--force']);
    for (const name of OUTPUTS) {
      const [ha, hb, hp] = await Promise.all([sha256(join(a, name)), sha256(join(b, name)), sha256(join(PREBOOT, name))]);
      assert.equal(ha, hb, `${name} differs between two builds`);
      assert.equal(ha, hp, `${name} differs from var/preboot's, built from the same inputs`);
    }
    const mtimes = await Promise.all(OUTPUTS.map(async (n) => (await stat(join(a, n))).mtimeMs));
    const again = await runBuild(['--out', a]);
    assert.match(again.stdout, /is up to date: nothing to do/);
    assert.deepEqual(await Promise.all(OUTPUTS.map(async (n) => (await stat(join(a, n))).mtimeMs)), mtimes, 'an up-to-date build rewrote files');
    t.diagnostic(`forced builds ${first.seconds.toFixed(1)} s and ${second.seconds.toFixed(1)} s; up-to-date check ${again.seconds.toFixed(1)} s`);
  });
});
