#!/usr/bin/env node
// Prints results/multicast.tsv as a table per case, with Rackcast's ratios to each peer from
// the same run: wall time, receiver CPU-seconds per GiB, and memory.
// Usage: node scripts/bench/multicast/summarize.mjs results/multicast.tsv
import { readFileSync } from 'node:fs';

const rows = readFileSync(process.argv[2] ?? 'scripts/bench/results/multicast.tsv', 'utf8').split('\n')
  .filter((l) => l && !l.startsWith('#'))
  .map((l) => Object.fromEntries(l.split('\t').map((kv) => { const i = kv.indexOf('='); return [kv.slice(0, i), kv.slice(i + 1)]; })));
const gib = (r) => Number(r.bytes) / 2 ** 30;
const cases = new Map();
for (const r of rows) {
  const key = `${r.label ?? 'plain'} N=${r.N} loss=${r.loss}`;
  if (!cases.has(key)) cases.set(key, []);
  cases.get(key).push(r);
}
const num = (x) => (x === undefined || x === 'NA' ? NaN : Number(x));
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'NA');
console.log('| case | tool | seconds | MB/s | match | fin (min-max) | recv CPU-s/GiB | sender CPU-s/GiB | recv RSS MB | sender RSS MB | status |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const [key, list] of cases) {
  for (const r of list) {
    console.log(`| ${key} | ${r.tool} | ${r.seconds} | ${r.MBps} | ${r.match} | ${r.fin} | ${fmt(num(r.recv_cpu_s_mean) / gib(r))} | ${fmt(num(r.sender_cpu_s) / gib(r))} | ${r.recv_rss_mb_max} | ${r.sender_rss_mb} | ${r.status} |`);
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
