#!/usr/bin/env node
// Runs the compiled test files with node's test runner. Node 20's --test takes no globs, so
// this finds the files: fast = unit tests beside the code plus test/**/*.test.js; lab = the
// QEMU suites (*.lab.test.js). Usage: node scripts/run-tests.mjs fast|lab|all [name-filter]
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const suite = process.argv[2] ?? 'fast';
const filter = process.argv[3];
const distRoots = ['wire/dist', 'server/dist', 'preboot-image/agent/dist', 'preboot-image/builder/dist', 'scripts/golden-image/dist', 'test/dist'];

function walk(dir, out) {
  let names;
  try { names = readdirSync(dir); } catch { return out; }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.js')) out.push(path);
  }
  return out;
}

const files = distRoots.flatMap((d) => walk(join(root, d), []))
  .filter((f) => (suite === 'all') || (suite === 'lab') === f.endsWith('.lab.test.js'))
  .filter((f) => !filter || f.includes(filter))
  .map((f) => relative(root, f))
  .sort();

if (files.length === 0) {
  console.log(`no ${suite} test files found`);
  process.exit(suite === 'lab' ? 0 : 1);
}
// Lab tests boot VMs that share 2 cores: run them one file at a time.
const concurrency = suite === 'fast' ? '2' : '1';
const result = spawnSync(process.execPath, ['--test', `--test-concurrency=${concurrency}`, ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
