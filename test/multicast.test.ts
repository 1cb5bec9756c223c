import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildTestDisk, fillDirectory, sha256File } from './helpers/disk-image.js';
import { assertLabNetAvailable } from './helpers/netns.js';
import { finished, StreamLab } from './helpers/stream-lab.js';
import { tempDir } from './helpers/temp-dir.js';

// Real UDP multicast between network namespaces this test creates: a boot server in one, the
// real agent CLI in three others, loss and rate applied on the bridge (nft numgen, tbf).

const ROGUE = fileURLToPath(new URL('./helpers/rogue-sender.js', import.meta.url));
const RECEIVE_TIMEOUT = 120_000;

let work: Awaited<ReturnType<typeof tempDir>>;
let image: string;
let imageSha: string;
let lab: StreamLab;

before(async () => {
  await assertLabNetAvailable();
  work = await tempDir('mcast');
  const tree = join(work.path, 'tree');
  await fillDirectory(tree, { files: 400, seed: 'multicast', sizes: [8 * 1024, 64 * 1024, 256 * 1024, 512 * 1024] });
  image = join(work.path, 'disk.img');
  await buildTestDisk(image, { size: '160M', ext4From: tree });
  imageSha = await sha256File(image);
  lab = await StreamLab.create(3, image, 'golden');
});

after(async () => {
  await lab?.destroy();
  await work?.remove();
});

async function assertBitExact(target: string): Promise<void> {
  assert.equal(await sha256File(target), imageSha, `${target} equals the image`);
}

describe('multicast block stream between namespaces', () => {
  test('three receivers restore the image bit-exact', async () => {
    const { id, tokens } = await lab.startSession('golden', 3, '400mbit');
    const runs = lab.net.receivers.map((host, i) => lab.receive(host, id, tokens[i] ?? '', join(work.path, `plain-${i}.img`)));
    for (const [i, run] of runs.entries()) {
      const outcome = await finished(run, RECEIVE_TIMEOUT);
      assert.equal(outcome.code, 0, outcome.stderr);
      assert.equal(outcome.result?.backfillBlocks, 0, `everything came by multicast: ${JSON.stringify(outcome.result)} ${JSON.stringify(await lab.session(id))}`);
      await assertBitExact(join(work.path, `plain-${i}.img`));
    }
    const s = await lab.waitFor(id, (x) => x.phase === 'complete', 10_000);
    assert.deepEqual(s.receivers.map((r) => r.state), ['done', 'done', 'done']);
  });

  test('5 % loss on every receiver: repaired in-pass and by aggregated passes, bit-exact', async () => {
    for (const host of lab.net.receivers) await lab.net.setLoss(host, 5);
    try {
      const { id, tokens } = await lab.startSession('golden', 3, '400mbit');
      // The first receiver gets a 1 MiB memory budget, so partial blocks spill to its target
      // and are read back: the path a large image takes on a small machine.
      const runs = lab.net.receivers.map((host, i) => lab.receive(host, id, tokens[i] ?? '', join(work.path, `lossy-${i}.img`), i === 0 ? ['--memory', '1'] : []));
      for (const [i, run] of runs.entries()) {
        const outcome = await finished(run, RECEIVE_TIMEOUT);
        assert.equal(outcome.code, 0, outcome.stderr);
        assert.ok((outcome.result?.lossRate ?? 0) > 0.02, `loss was applied (${outcome.result?.lossRate})`);
        if (i === 0) assert.ok((outcome.result?.spilledBlocks ?? 0) > 0, `partial blocks spilled to the target (${outcome.result?.spilledBlocks})`);
        await assertBitExact(join(work.path, `lossy-${i}.img`));
      }
      const s = await lab.waitFor(id, (x) => x.phase === 'complete', 10_000);
      assert.ok(s.repairFragments > 0, `repairs were sent (${s.pass} passes, ${s.repairFragments} repairs)`);
      // Random loss leaves blocks a fragment short: most are asked for and re-sent while the
      // pass still runs, the rest after PASS_END.
      assert.ok((s.inPassRepairFragments ?? 0) > 0, `in-pass repairs were sent (${s.inPassRepairFragments} of ${s.repairFragments})`);
      assert.ok(s.receivers.every((r) => !r.straggler), 'uniform loss makes nobody a straggler');
    } finally {
      for (const host of lab.net.receivers) await lab.net.setLoss(host, 0);
    }
  });

  test('a receiver killed mid-stream and restarted fetches only the blocks it lacks', async () => {
    const { id, tokens } = await lab.startSession('golden', 3, '60mbit');
    const targets = lab.net.receivers.map((_, i) => join(work.path, `resume-${i}.img`));
    const runs = lab.net.receivers.map((host, i) => lab.receive(host, id, tokens[i] ?? '', targets[i] ?? ''));
    const [first] = lab.net.receivers;
    assert.ok(first);
    // Session receiver ids follow registration order, so wait until every receiver's journal
    // (blocks written and flushed: what a reset keeps) is a quarter through; the killed one's
    // then holds at least the smallest count. Not blocksDone: that runs ahead of the journal
    // by the blocks written during one flush (CI once saw 89 reported and 88 kept).
    const before = await lab.waitFor(id, (s) => s.receivers.length === 3 && s.receivers.every((r) => r.journalBlocks > s.blockCount / 4), 60_000);
    runs[0]?.child.kill('SIGKILL');
    const journal = Math.min(...before.receivers.map((r) => r.journalBlocks));
    const restarted = lab.receive(first, id, tokens[0] ?? '', targets[0] ?? '');
    const outcome = await finished(restarted, RECEIVE_TIMEOUT);
    assert.equal(outcome.code, 0, outcome.stderr);
    const r = outcome.result;
    assert.ok(r);
    assert.ok(r.resumedBlocks >= journal, `kept the ${journal} blocks the server's journal had (${r.resumedBlocks})`);
    assert.equal(r.multicastBlocks + r.backfillBlocks, before.blockCount - r.resumedBlocks, 'fetched exactly the missing blocks');
    for (const run of runs.slice(1)) assert.equal((await finished(run, RECEIVE_TIMEOUT)).code, 0);
    for (const target of targets) await assertBitExact(target);
    const s = await lab.session(id);
    assert.deepEqual(s.receivers.map((x) => x.registrations).sort(), [1, 1, 2], 'the restarted receiver was recognised as the same member');
  });

  test('a late joiner takes the stream where it is and completes', async () => {
    const { id, tokens } = await lab.startSession('golden', 2, '100mbit');
    const [r1, r2, r3] = lab.net.receivers;
    assert.ok(r1 && r2 && r3);
    const early = [lab.receive(r1, id, tokens[0] ?? '', join(work.path, 'late-0.img')), lab.receive(r2, id, tokens[1] ?? '', join(work.path, 'late-1.img'))];
    await lab.waitFor(id, (s) => s.phase === 'transfer' && s.receivers.some((r) => (r.progress?.blocksDone ?? 0) > 3), 60_000);
    const [token] = JSON.parse(await lab.cli(['session', 'token', String(id), '--json'])).tokens as string[];
    const late = await finished(lab.receive(r3, id, token ?? '', join(work.path, 'late-2.img')), RECEIVE_TIMEOUT);
    assert.equal(late.code, 0, late.stderr);
    assert.ok((late.result?.multicastBlocks ?? 0) > 0, 'the late joiner got blocks by multicast');
    for (const run of early) assert.equal((await finished(run, RECEIVE_TIMEOUT)).code, 0);
    for (let i = 0; i < 3; i++) await assertBitExact(join(work.path, `late-${i}.img`));
  });

  test('a receiver capped at a slow rate is moved to HTTP backfill; the others are not held back', async () => {
    const [, , slow] = lab.net.receivers;
    assert.ok(slow);
    await lab.net.setRate(slow, '20mbit');
    try {
      const { id, tokens } = await lab.startSession('golden', 3, '300mbit');
      const runs = lab.net.receivers.map((host, i) => lab.receive(host, id, tokens[i] ?? '', join(work.path, `strag-${i}.img`)));
      for (const run of runs.slice(0, 2)) assert.equal((await finished(run, RECEIVE_TIMEOUT)).code, 0);
      const s = await lab.waitFor(id, (x) => x.phase === 'complete', 30_000);
      // Session receiver ids follow registration order: exactly one straggler, and the capped
      // host's own result (below) shows it was the one that backfilled.
      assert.equal(s.receivers.filter((r) => r.straggler).length, 1, `one straggler was found: ${JSON.stringify(s)}`);
      const outcome = await finished(runs[2] as NonNullable<(typeof runs)[2]>, RECEIVE_TIMEOUT);
      assert.equal(outcome.code, 0, outcome.stderr);
      assert.ok((outcome.result?.backfillBlocks ?? 0) > 0, 'it finished over HTTP');
      for (let i = 0; i < 3; i++) await assertBitExact(join(work.path, `strag-${i}.img`));
    } finally {
      await lab.net.setRate(slow, null);
    }
  });

  test('forged datagrams and blocks sealed with a wrong key are rejected and counted', async () => {
    const { id, tokens } = await lab.startSession('golden', 3, '100mbit');
    const session = await lab.session(id);
    const [r1] = lab.net.receivers;
    assert.ok(r1);
    const detail = JSON.parse(await lab.cli(['session', 'list', '--json'])) as { id: number; group: string; port: number }[];
    const me = detail.find((x) => x.id === id);
    assert.ok(me);
    const rogue = lab.net.spawn(r1, process.execPath, [ROGUE, me.group, String(me.port), r1.ip, String(id), String(session.blockCount), '6']);
    const runs = lab.net.receivers.map((host, i) => lab.receive(host, id, tokens[i] ?? '', join(work.path, `forged-${i}.img`)));
    let auth = 0;
    let malformed = 0;
    for (const [i, run] of runs.entries()) {
      const outcome = await finished(run, RECEIVE_TIMEOUT);
      assert.equal(outcome.code, 0, outcome.stderr);
      auth += outcome.result?.authFailures ?? 0;
      malformed += (outcome.result?.malformed ?? 0) + (outcome.result?.foreign ?? 0);
      await assertBitExact(join(work.path, `forged-${i}.img`));
    }
    rogue.kill('SIGTERM');
    assert.ok(malformed > 0, 'random and foreign datagrams were dropped and counted');
    assert.ok(auth > 0, `blocks sealed with a wrong key failed authentication (${auth})`);
  });

  test('the server restarted mid-session: receivers reconnect and the session completes', async () => {
    const { id, tokens } = await lab.startSession('golden', 3, '60mbit');
    const runs = lab.net.receivers.map((host, i) => lab.receive(host, id, tokens[i] ?? '', join(work.path, `restart-${i}.img`)));
    await lab.waitFor(id, (s) => s.receivers.length === 3 && s.receivers.every((r) => (r.progress?.blocksDone ?? 0) > s.blockCount / 5), 60_000);
    await lab.killServer();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await lab.startServer();
    for (const [i, run] of runs.entries()) {
      const outcome = await finished(run, RECEIVE_TIMEOUT);
      assert.equal(outcome.code, 0, outcome.stderr);
      await assertBitExact(join(work.path, `restart-${i}.img`));
    }
    const s = await lab.waitFor(id, (x) => x.phase === 'complete', 30_000);
    assert.deepEqual(s.receivers.map((r) => r.state), ['done', 'done', 'done']);
  });

  test('a target too small is refused before anything is written, and the server knows why', async () => {
    const { id, tokens } = await lab.startSession('golden', 1, '100mbit');
    const small = join(work.path, 'small.img');
    await writeFile(small, Buffer.alloc(4 * 1024 * 1024, 0x5a));
    const before = await sha256File(small);
    const [r1] = lab.net.receivers;
    assert.ok(r1);
    const outcome = await finished(lab.receive(r1, id, tokens[0] ?? '', small), 30_000);
    assert.equal(outcome.code, 1);
    assert.match(outcome.stderr, /RC_ERR_DISK_TOO_SMALL/);
    assert.equal(await sha256File(small), before, 'the target is untouched');
    const s = await lab.waitFor(id, (x) => x.receivers[0]?.state === 'failed', 10_000);
    assert.equal(s.receivers[0]?.failure?.code, 'RC_ERR_DISK_TOO_SMALL');
    await lab.cli(['session', 'cancel', String(id)]);
  });
});
