import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeArchive } from './cpio-archive.js';
import { ImagePlan } from './image-plan.js';

interface CpioEntry { name: string; mode: number; uid: number; gid: number; mtime: number; data: Buffer }

/** Parses a newc ("070701") cpio archive: an independent reader of what cpio wrote. */
function parseNewc(bytes: Buffer): CpioEntry[] {
  const out: CpioEntry[] = [];
  const pad4 = (n: number): number => (n + 3) & ~3;
  let at = 0;
  for (;;) {
    assert.equal(bytes.toString('latin1', at, at + 6), '070701', `newc magic at ${at}`);
    const field = (i: number): number => Number.parseInt(bytes.toString('latin1', at + 6 + i * 8, at + 14 + i * 8), 16);
    const [mode, uid, gid, mtime, size, nameSize] = [field(1), field(2), field(3), field(5), field(6), field(11)];
    const name = bytes.toString('utf8', at + 110, at + 110 + nameSize - 1);
    const dataAt = pad4(at + 110 + nameSize);
    if (name === 'TRAILER!!!') return out;
    out.push({ name, mode, uid, gid, mtime, data: bytes.subarray(dataAt, dataAt + size) });
    at = pad4(dataAt + size);
  }
}

const scratch = await mkdtemp(join(tmpdir(), 'rackcast-cpio-'));
after(() => rm(scratch, { recursive: true, force: true }));

async function planWithSource(sourceMtime: number): Promise<ImagePlan> {
  const source = join(scratch, `tool-${sourceMtime}`);
  await writeFile(source, 'ELF pretend\n');
  await utimes(source, sourceMtime, sourceMtime);
  const p = new ImagePlan();
  await p.addFile('usr/sbin/tool', source, 0o755);
  p.addData('etc/hosts', '127.0.0.1 localhost\n');
  p.addSymlink('bin/sh', '/bin/busybox');
  p.addDir('tmp', 0o1777);
  return p;
}

test('two archives of the same plan are byte-identical, whatever the host files\' mtimes', async () => {
  const opts = { epoch: 1_700_000_000, zstdLevel: 3, workDir: join(scratch, 'work') };
  await writeArchive(await planWithSource(1_000), join(scratch, 'a.img'), opts);
  await writeArchive(await planWithSource(2_000_000), join(scratch, 'b.img'), opts);
  const digest = async (f: string): Promise<string> => createHash('sha256').update(await readFile(join(scratch, f))).digest('hex');
  assert.equal(await digest('a.img'), await digest('b.img'));
});

test('the archive is zstd newc with sorted names, owner root, the epoch as mtime and exact modes', async () => {
  await writeArchive(await planWithSource(5), join(scratch, 'c.img'), { epoch: 86_400, zstdLevel: 3, workDir: join(scratch, 'work') });
  const entries = parseNewc(execFileSync('zstd', ['-dc', join(scratch, 'c.img')]));
  assert.deepEqual(entries.map((e) => e.name), ['bin', 'bin/sh', 'etc', 'etc/hosts', 'tmp', 'usr', 'usr/sbin', 'usr/sbin/tool']);
  for (const e of entries) {
    assert.equal(e.uid, 0, e.name);
    assert.equal(e.gid, 0, e.name);
    assert.equal(e.mtime, 86_400, e.name);
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.equal(byName.get('tmp')?.mode, 0o041777);
  assert.equal(byName.get('usr/sbin/tool')?.mode, 0o100755);
  assert.equal(byName.get('etc/hosts')?.mode, 0o100644);
  assert.equal(byName.get('bin/sh')?.mode, 0o120777);
  assert.equal(byName.get('bin/sh')?.data.toString(), '/bin/busybox');
  assert.equal(byName.get('usr/sbin/tool')?.data.toString(), 'ELF pretend\n');
});
