#!/usr/bin/env node
// Prints results/multicast.tsv as a table per case, with Rackcast's ratios to each peer from
// the same run (wall time, receiver CPU-seconds per GiB), then the targets computed
// from the same rows. CPU is split into user and system time where measure.sh recorded it:
// on the harness's bridge the kernel copies every multicast datagram once per receiver port
// inside the sender's send call, so the sender's system time grows with N for every tool.
// Usage: node scripts/bench/multicast/summarize.mjs results/multicast.tsv
import { readFileSync } from 'node:fs';

const rows = readFileSync(process.argv[2] ?? 'scripts/bench/results/multicast.tsv', 'utf8').split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => Object.fromEntries(l.split('\t').map((kv) => { const i = kv.indexOf('='); return [kv.slice(0, i), kv.slice(i + 1)]; })));
const gib = (r) => Number(r.bytes) / 2 ** 30;
const num = (x) => (x === undefined || x === 'NA' ? NaN : Number(x));
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'NA');
const perGib = (r, field) => num(r[field]) / gib(r);
const sizeOf = (r) => `${Math.round(gib(r) * 1024)} MiB`;

const cases = new Map();
for (const r of rows) {
  const key = `${r.label ?? 'plain'} N=${r.N} loss=${r.loss} ${sizeOf(r)}`;
  if (!cases.has(key)) cases.set(key, []);
  cases.get(key).push(r);
}
/** The last row of a tool in a case (a case re-run appends). */
const last = (label, n, loss, size, tool) => cases.get(`${label} N=${n} loss=${loss} ${size}`)?.filter((r) => r.tool === tool).at(-1);

console.log('| case | tool | seconds | MB/s | match | fin (min-max) | recv CPU-s/GiB (user+sys) | sender CPU-s/GiB (user+sys) | recv RSS MB | sender RSS MB | load | status |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
const split = (r, who) => {
  const u = who === 'sender' ? perGib(r, 'sender_user_s') : perGib(r, 'recv_user_s_mean');
  const s = who === 'sender' ? perGib(r, 'sender_sys_s') : perGib(r, 'recv_sys_s_mean');
  return Number.isFinite(u) ? ` (${fmt(u)}+${fmt(s)})` : '';
};
for (const [key, list] of cases) {
  for (const r of list) {
    console.log(`| ${key} | ${r.tool} | ${r.seconds} | ${r.MBps} | ${r.match} | ${r.fin} | ${fmt(perGib(r, 'recv_cpu_s_mean'))}${split(r, 'recv')} | ${fmt(perGib(r, 'sender_cpu_s'))}${split(r, 'sender')} | ${r.recv_rss_mb_max} | ${r.sender_rss_mb} | ${r.load} | ${r.status} |`);
  }
}
console.log('\n| case | peer | time ratio (ours / peer) | recv CPU ratio | ours complete | peer complete |');
console.log('|---|---|---|---|---|---|');
for (const [key, list] of cases) {
  const ours = list.filter((r) => r.tool === 'rackcast').at(-1);
  if (!ours) continue;
  for (const peer of list.filter((r) => r.tool !== 'rackcast')) {
    console.log(`| ${key} | ${peer.tool} | ${fmt(num(ours.seconds) / num(peer.seconds))} | ${fmt(num(ours.recv_cpu_s_mean) / num(peer.recv_cpu_s_mean))} | ${ours.match} | ${peer.match} |`);
  }
}

// The targets, each from rows of this file (a missing case prints NA).
const tools = [...new Set(rows.map((r) => r.tool))];
console.log('\n| target | ' + tools.join(' | ') + ' |');
console.log('|---|' + tools.map(() => '---|').join(''));
const line = (name, f) => console.log(`| ${name} | ${tools.map((t) => f(t)).join(' | ')} |`);
// tbf counts the Ethernet frame without preamble and FCS: 1472 payload bytes per 1514.
const linkPayloadMBps = (1e9 / 8) * (1472 / 1514) / 1e6;
line('N=1 1 GiB: image MB/s ÷ link payload MB/s', (t) => { const r = last('plain', 1, '0%', '1024 MiB', t); return r ? fmt(num(r.MBps) / linkPayloadMBps) : 'NA'; });
const sizes = [...new Set(rows.map(sizeOf))];
for (const size of sizes) {
  for (const n of [...new Set(rows.filter((r) => sizeOf(r) === size && (r.label ?? 'plain') === 'plain' && r.loss === '0%').map((r) => r.N))]) {
    const ours = last('plain', n, '0%', size, 'rackcast');
    line(`plain N=${n} ${size}: time ÷ Rackcast's`, (t) => { const r = last('plain', n, '0%', size, t); return r && ours ? fmt(num(r.seconds) / num(ours.seconds)) : 'NA'; });
  }
}
for (const size of sizes) {
  const one = (t) => last('plain', 1, '0%', size, t);
  const many = (t) => last('plain', 16, '0%', size, t);
  if (!tools.some((t) => one(t) && many(t))) continue;
  line(`sender CPU/GiB N=16 ÷ N=1, ${size} (total)`, (t) => (one(t) && many(t) ? fmt(perGib(many(t), 'sender_cpu_s') / perGib(one(t), 'sender_cpu_s')) : 'NA'));
  line(`sender CPU/GiB N=16 ÷ N=1, ${size} (user only)`, (t) => (one(t) && many(t) ? fmt(perGib(many(t), 'sender_user_s') / perGib(one(t), 'sender_user_s')) : 'NA'));
}
for (const loss of ['1%', '5%']) {
  line(`N=4 ${loss} loss ÷ lossless time (complete?)`, (t) => {
    const base = last('plain', 4, '0%', '1024 MiB', t);
    const lossy = last('plain', 4, loss, '1024 MiB', t);
    return base && lossy ? `${fmt(num(lossy.seconds) / num(base.seconds))} (${lossy.match})` : 'NA';
  });
}
for (const label of ['slow-r1-100mbit', 'kill-r1-3s', 'late-r1-3s']) {
  line(`${label}: time ÷ plain N=4 (complete?)`, (t) => {
    const base = last('plain', 4, '0%', '1024 MiB', t);
    const r = last(label, 4, '0%', '1024 MiB', t);
    return base && r ? `${fmt(num(r.seconds) / num(base.seconds))} (${r.match})` : 'NA';
  });
}
// The behaviour targets are about the *other* receivers: their last finish against the plain run.
const finMax = (r) => num(String(r?.fin ?? 'NA').split('-')[1]);
const othersOfR1 = (r) => {
  const each = String(r?.fin_each ?? 'NA').split(',').map((x) => x.split(':')).filter(([id]) => id && id !== 'r1' && id !== 'NA');
  return each.length > 0 ? Math.max(...each.map(([, t]) => num(t))) : NaN;
};
line('capped r1: the others\' last finish ÷ plain N=4 time', (t) => {
  const base = last('plain', 4, '0%', '1024 MiB', t);
  const r = last('slow-r1-100mbit', 4, '0%', '1024 MiB', t);
  return base && r ? fmt(othersOfR1(r) / num(base.seconds)) : 'NA';
});
line('killed r1: the others\' last finish ÷ plain N=4 time', (t) => {
  const base = last('plain', 4, '0%', '1024 MiB', t);
  const r = last('kill-r1-3s', 4, '0%', '1024 MiB', t);
  return base && r ? fmt(finMax(r) / num(base.seconds)) : 'NA';
});
line('peak receiver RSS MB (all cases)', (t) => String(Math.max(...rows.filter((r) => r.tool === t).map((r) => num(r.recv_rss_mb_max)).filter(Number.isFinite))));
line('peak sender RSS MB (all cases)', (t) => String(Math.max(...rows.filter((r) => r.tool === t).map((r) => num(r.sender_rss_mb)).filter(Number.isFinite))));
