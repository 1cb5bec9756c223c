import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GoldenImageError } from './golden-error.js';
import { ESP_BYTES, GOLDEN_IDS, planLayout, sfdiskScript, TYPE_ESP, TYPE_LINUX_FS } from './layout.js';
import { MIB } from './options.js';

test('512 MiB: ESP of 64 MiB at 1 MiB, root after it up to the last whole MiB before the backup GPT', () => {
  const l = planLayout(512 * MIB);
  assert.deepEqual(l.esp, { startSector: 2048, sectors: ESP_BYTES / 512 });
  assert.equal(l.root.startSector, 2048 + 131072);
  // 512 MiB = 1048576 sectors; the backup GPT takes the last 33; the root ends on the MiB boundary before.
  assert.equal(l.root.startSector + l.root.sectors, 1046528);
  assert.equal(l.root.sectors % 2048, 0);
});

test('the root never overlaps the backup GPT, whatever the size', () => {
  for (let mib = 98; mib <= 4096; mib += 37) {
    const l = planLayout(mib * MIB);
    const lastUsable = mib * 2048 - 34;
    assert.ok(l.root.startSector + l.root.sectors - 1 <= lastUsable, `${mib} MiB`);
    assert.ok(l.root.startSector + l.root.sectors - 1 > lastUsable - 2048 - 34, `${mib} MiB wastes space`);
  }
});

test('a disk too small for a root file system is refused with the size to use', () => {
  assert.throws(() => planLayout(64 * MIB), (err: unknown) =>
    err instanceof GoldenImageError && err.code === 'RC_ERR_GOLDEN_TOO_SMALL' && /--size 98M/.test(err.message));
  assert.doesNotThrow(() => planLayout(98 * MIB));
});

test('the sfdisk script fixes every GUID and marks the ESP legacy-BIOS-bootable', () => {
  const script = sfdiskScript(planLayout(512 * MIB));
  assert.match(script, new RegExp(`^label-id: ${GOLDEN_IDS.diskGuid}$`, 'm'));
  assert.match(script, new RegExp(`^1 : start=2048, size=131072, type=${TYPE_ESP}, uuid=${GOLDEN_IDS.espPartUuid}, name="EFI System", attrs="LegacyBIOSBootable"$`, 'm'));
  assert.match(script, new RegExp(`^2 : start=133120, size=913408, type=${TYPE_LINUX_FS}, uuid=${GOLDEN_IDS.rootPartUuid}, name="root"$`, 'm'));
});
