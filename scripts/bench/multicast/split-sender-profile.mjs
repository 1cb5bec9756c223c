#!/usr/bin/env node
// Splits one sender's `perf script` samples into where its CPU went (profile-sender.sh), or,
// with --table, prints the rows of several runs side by side with the growth from the smallest N.
//   split-sender-profile.mjs TOOL N PERF_SCRIPT_TXT TSV_ROW   → one JSON line
//   … | split-sender-profile.mjs --table                      → the table
import { readFileSync } from 'node:fs';

const SAMPLE_HZ = 999;

/** Where one sample's call chain (leaf first) belongs; the first matching rule wins. */
const RULES = [
  // The bridge flooding the datagram to every port and each receiver's socket taking it.
  ['delivery to receivers (softirq)', (c) => c.includes('net_rx_action')],
  ['own send syscall', (c) => /udp_sendmsg|__sys_sendmsg|sendmmsg/.test(c)],
  ['garbage collection', (c) => /PlatformWorkerThread|v8::internal::(Heap|Scavenger|MarkCompact|ConcurrentMarking|Sweeper|MinorMarkCompact)/.test(c)],
  ['receivers\' control traffic', (c) => /session-channel|agent-channel|node_modules\/(ws|express|router|body-parser)\/|node:_http|http-server/.test(c)],
  ['block read, verify, seal', (c) => /sealBlock|readFrame|readVerifiedFrame|decodeBlockFrame|lz4|blake|aesni|gcm_|CipherBase/.test(c)],
  ['send loop (JS)', (c) => /#sendItem|#datagrams|sendPass|UDPWrap|dgram/.test(c)],
  ['waiting, scheduling', (c) => /epoll|schedule|finish_task_switch|futex/.test(c)],
];

function split(file) {
  const counts = new Map(RULES.map(([name]) => [name, 0]));
  counts.set('other', 0);
  let total = 0;
  let chain = [];
  const flush = () => {
    if (chain.length === 0) return;
    const text = chain.join('\n');
    const rule = RULES.find(([, test]) => test(text));
    const name = rule ? rule[0] : 'other';
    counts.set(name, (counts.get(name) ?? 0) + 1);
    total++;
    chain = [];
  };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') flush();
    else if (/^\s/.test(line)) chain.push(line.trim());
    else { flush(); chain = ['(sample)']; }
  }
  flush();
  return { total, counts: Object.fromEntries(counts) };
}

function field(row, name) {
  const m = new RegExp(`(?:^|\\t)${name}=([^\\t]*)`).exec(row);
  return m ? m[1] : 'NA';
}

if (process.argv[2] !== '--table') {
  const [tool, n, file, row = ''] = process.argv.slice(2);
  const { total, counts } = split(file);
  console.log(JSON.stringify({ tool, n: Number(n), seconds: field(row, 'seconds'), bytes: Number(field(row, 'bytes')), user: field(row, 'sender_user_s'), sys: field(row, 'sender_sys_s'), total, counts }));
} else {
  const rows = readFileSync(0, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const cpu = (r, key) => (key === null ? r.total : r.counts[key]) / SAMPLE_HZ;
  const perGiB = (r, key) => cpu(r, key) / (r.bytes / 2 ** 30);
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.counts)))];
  console.log('Sender CPU-s per GiB by where it went (perf samples at 999 Hz; growth: ÷ the smallest N of the same tool)');
  for (const tool of [...new Set(rows.map((r) => r.tool))]) {
    const mine = rows.filter((r) => r.tool === tool).sort((a, b) => a.n - b.n);
    const base = mine[0];
    console.log(`\n${tool}: ${mine.map((r) => `N=${r.n} ${r.seconds} s, measured user ${r.user} + sys ${r.sys} CPU-s`).join('; ')}`);
    console.log(`| part | ${mine.map((r) => `N=${r.n}`).join(' | ')} | ${mine.slice(1).map((r) => `N=${r.n} ÷ N=${base.n}`).join(' | ')} |`);
    console.log(`|---|${mine.map(() => '---').join('|')}|${mine.slice(1).map(() => '---').join('|')}|`);
    const growth = (r, f) => (f(base) > 0 ? (f(r) / f(base)).toFixed(2) : '—');
    const line = (label, f) => console.log(`| ${label} | ${mine.map((r) => f(r).toFixed(2)).join(' | ')} | ${mine.slice(1).map((r) => growth(r, f)).join(' | ')} |`);
    line('all samples', (r) => perGiB(r, null));
    line('all but delivery to receivers', (r) => perGiB(r, null) - perGiB(r, 'delivery to receivers (softirq)'));
    for (const name of names) line(name, (r) => perGiB(r, name));
  }
}
