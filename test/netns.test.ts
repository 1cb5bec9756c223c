// Self-test of test/helpers/netns.ts: a real multicast lab of one sender and three receivers in
// network namespaces this test creates, with loss (nftables), rate (tbf) and link cuts. All
// traffic goes to a group inside those namespaces (TTL 1, no uplink). Needs root, iproute2 and
// nftables; it fails with a clear message rather than skipping when they are missing.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { LabNet, assertLabNetAvailable, listNamespaces, type LabHost } from './helpers/netns.js';
import type { ListenResult, SendResult } from './helpers/mcast-probe.js';

const PROBE = fileURLToPath(new URL('./helpers/mcast-probe.js', import.meta.url));
const PORT = 9400;
const SIZE = 1200;

/** Resolves with the next stdout line of the child that satisfies `match`, bounded in time. */
function nextLine(child: ChildProcess, match: (line: string) => boolean, timeoutMs: number, what: string): Promise<string> {
  const stdout = child.stdout;
  if (!stdout) return Promise.reject(new Error(`${what}: no stdout pipe`));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: stdout });
    let stderr = '';
    const onErr = (d: Buffer): void => { stderr += d.toString(); };
    child.stderr?.on('data', onErr);
    const done = (err: Error | null, line?: string): void => {
      clearTimeout(timer);
      rl.close();
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(line ?? '');
    };
    const onExit = (code: number | null): void => done(new Error(`${what}: exited (${code}) before the expected line; stderr: ${stderr}`));
    const timer = setTimeout(() => done(new Error(`${what}: no expected line within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
    rl.on('line', (line) => { if (match(line)) done(null, line); });
    child.once('exit', onExit);
  });
}

interface Transfer {
  send: SendResult;
  recv: Map<string, ListenResult>;
}

describe('LabNet: multicast lab in network namespaces', { timeout: 60_000 }, () => {
  let lab: LabNet | undefined;
  let runId = 0;

  const theLab = (): LabNet => {
    assert.ok(lab, 'lab was not created');
    return lab;
  };
  const receiver = (i: number): LabHost => {
    const r = theLab().receivers[i];
    assert.ok(r, `no receiver ${i}`);
    return r;
  };

  /** Starts a listener on every receiver, sends `count` datagrams from the sender, collects the counts. */
  async function transfer(count: number, mbit: number): Promise<Transfer> {
    const net = theLab();
    runId += 1;
    const common = ['--group', net.group(1), '--port', String(PORT), '--run', String(runId)];
    const listeners = net.receivers.map((r) => ({
      host: r,
      child: net.spawn(r, process.execPath, [PROBE, 'listen', ...common, '--iface', r.ip, '--max-ms', '30000']),
    }));
    await Promise.all(listeners.map(({ host, child }) => nextLine(child, (l) => l === 'READY', 10_000, `listener on ${host.name}`)));
    const { stdout } = await net.exec(net.sender, process.execPath,
      [PROBE, 'send', ...common, '--iface', net.sender.ip, '--count', String(count), '--size', String(SIZE), '--mbit', String(mbit)], 30_000);
    const send = JSON.parse(stdout.trim()) as SendResult;
    await new Promise((r) => setTimeout(r, 300)); // drain tbf queues (10 ms) and socket buffers
    const recv = new Map<string, ListenResult>();
    await Promise.all(listeners.map(async ({ host, child }) => {
      const line = nextLine(child, (l) => l.startsWith('{'), 10_000, `result of ${host.name}`);
      child.stdin?.end();
      recv.set(host.name, JSON.parse(await line) as ListenResult);
    }));
    return { send, recv };
  }

  const got = (t: Transfer, host: LabHost): ListenResult => {
    const r = t.recv.get(host.name);
    assert.ok(r, `no result from ${host.name}`);
    return r;
  };
  const share = (t: Transfer, host: LabHost): number => got(t, host).received / t.send.sent;
  const report = (label: string, t: Transfer): void => {
    const parts = [...t.recv].map(([name, r]) => `${name}=${r.received}/${t.send.sent} (${r.mbit.toFixed(1)} Mbit/s over ${r.spanMs.toFixed(0)} ms)`);
    console.log(`${label}: sent ${t.send.sent} at ${t.send.mbit.toFixed(1)} Mbit/s in ${t.send.ms.toFixed(0)} ms; ${parts.join(', ')}`);
  };

  before(async () => {
    await assertLabNetAvailable();
    lab = await LabNet.create({ receivers: 3 });
  });

  after(async () => {
    await lab?.destroy();
  });

  it('builds the topology: names, addresses, multicast route; exec reports failures', async () => {
    const net = theLab();
    const names = await listNamespaces();
    for (const ns of [net.bridgeNs, ...net.hosts.map((h) => h.ns)]) assert.ok(names.includes(ns), `namespace ${ns} missing`);
    const r1 = receiver(0);
    assert.equal(net.sender.ip, `10.${net.subnet}.0.1`);
    assert.equal(r1.ip, `10.${net.subnet}.0.11`);
    const addr = await net.exec(r1, 'ip', ['-4', '-o', 'addr', 'show', 'dev', r1.iface]);
    assert.match(addr.stdout, new RegExp(`inet ${r1.ip.replaceAll('.', '\\.')}/24`));
    const route = await net.exec(net.sender, 'ip', ['route', 'show', '224.0.0.0/4']);
    assert.match(route.stdout, new RegExp(`224\\.0\\.0\\.0/4 dev ${net.sender.iface}`));
    const snooping = await net.exec(net.sender, 'ip', ['-n', net.bridgeNs, '-d', 'link', 'show', 'br0']);
    assert.match(snooping.stdout, /mcast_snooping 0/);
    await assert.rejects(net.exec(r1, 'sh', ['-c', 'echo oops >&2; exit 3']), /exit 3[\s\S]*oops/);
  });

  it('delivers 2000 multicast datagrams of 1200 bytes to every receiver', async () => {
    const net = theLab();
    const t = await transfer(2000, 200);
    report('baseline', t);
    for (const r of net.receivers) assert.ok(share(t, r) >= 0.99, `${r.name} got ${got(t, r).received}/2000`);
  });

  it('setLoss(r1, 20) drops about a fifth of what r1 receives and nothing elsewhere', async () => {
    const net = theLab();
    const [r1, r2, r3] = [receiver(0), receiver(1), receiver(2)];
    await net.setLoss(r1, 20);
    const t = await transfer(2000, 200);
    report('loss r1 20%', t);
    const s1 = share(t, r1);
    assert.ok(s1 >= 0.7 && s1 <= 0.9, `r1 got ${(s1 * 100).toFixed(1)} %, expected 70..90 %`);
    for (const r of [r2, r3]) assert.ok(share(t, r) >= 0.99, `${r.name} got ${got(t, r).received}/2000`);
    await net.setLoss(r1, 0);
    const back = await transfer(1000, 200);
    report('loss removed', back);
    for (const r of net.receivers) assert.ok(share(back, r) >= 0.99, `${r.name} got ${got(back, r).received}/1000 after setLoss(0)`);
  });

  it("setRate(r2, '10mbit') holds r2 near 10 Mbit/s while the others get everything", async () => {
    const net = theLab();
    const [r1, r2, r3] = [receiver(0), receiver(1), receiver(2)];
    await net.setRate(r2, '10mbit');
    const count = 2500; // 3 MB offered at 40 Mbit/s: 0.6 s, four times what r2's link carries
    const t = await transfer(count, 40);
    report('rate r2 10mbit', t);
    const g2 = got(t, r2);
    assert.ok(g2.mbit <= 15, `r2 received at ${g2.mbit.toFixed(1)} Mbit/s, expected <= 15`);
    assert.ok(g2.mbit >= 5, `r2 received at ${g2.mbit.toFixed(1)} Mbit/s, expected >= 5 (link should still carry traffic)`);
    assert.ok(share(t, r2) <= 0.5, `r2 got ${(share(t, r2) * 100).toFixed(1)} % of a 40 Mbit/s stream through a 10 Mbit/s link`);
    for (const r of [r1, r3]) assert.ok(share(t, r) >= 0.99, `${r.name} got ${got(t, r).received}/${count}`);
    await net.setRate(r2, null);
    const back = await transfer(1000, 200);
    report('rate removed', back);
    assert.ok(share(back, r2) >= 0.99, `r2 got ${got(back, r2).received}/1000 after setRate(null)`);
  });

  it('setLinkUp(r3, false) cuts r3 off; true brings it back', async () => {
    const net = theLab();
    const [r1, r2, r3] = [receiver(0), receiver(1), receiver(2)];
    await net.setLinkUp(r3, false);
    const t = await transfer(500, 100);
    report('r3 link down', t);
    assert.equal(got(t, r3).received, 0, 'r3 received traffic over a cut link');
    for (const r of [r1, r2]) assert.ok(share(t, r) >= 0.99, `${r.name} got ${got(t, r).received}/500`);
    await net.setLinkUp(r3, true);
    const back = await transfer(500, 100);
    report('r3 link up', back);
    assert.ok(share(back, r3) >= 0.99, `r3 got ${got(back, r3).received}/500 after the link came back`);
  });

  it('destroy() kills spawned processes and removes every namespace of the lab; twice is fine', async () => {
    const net = theLab();
    const sleeper = net.spawn(net.sender, 'sleep', ['600'], { stdio: 'ignore' });
    const exited = new Promise<string | null>((resolve) => sleeper.once('exit', (_code, signal) => resolve(signal)));
    await net.destroy();
    assert.equal(await exited, 'SIGTERM');
    const left = (await listNamespaces()).filter((ns) => ns.startsWith(`${net.tag}-`));
    assert.deepEqual(left, []);
    await net.destroy();
    assert.throws(() => net.spawn(net.sender, 'true', []), /destroyed/);
  });
});
