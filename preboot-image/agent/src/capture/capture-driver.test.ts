import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { DiskProfile } from '@rackcast/wire';
import { chooseCaptureDisk } from './capture-driver.js';
import { CaptureError } from './capture-error.js';

function disk(name: string, serial: string, extra: Partial<DiskProfile> = {}): DiskProfile {
  return {
    name, sizeBytes: 64 * 2 ** 30, logicalBlockSize: 512, physicalBlockSize: 512, rotational: false, removable: false, readOnly: false,
    model: '', vendor: '', serial, wwn: `naa.${serial}`, transport: 'sata', sysfsPath: `pci0000:00/${name}`, ...extra,
  };
}

const refused = (pattern: RegExp) => (err: unknown): boolean => err instanceof CaptureError && err.code === 'RC_ERR_CAPTURE_SOURCE' && pattern.test(err.message);

describe('the disk a capture job reads', () => {
  const sda = disk('sda', 'S1');
  const sdb = disk('sdb', 'S2');
  const usb = disk('sdc', 'U1', { removable: true });

  test('the only fixed disk, whatever removable or empty disks sit beside it', () => {
    assert.equal(chooseCaptureDisk([usb, sda, disk('sr0', '', { sizeBytes: 0 })], ''), sda);
  });

  test('a named disk by serial, WWN or kernel name', () => {
    assert.equal(chooseCaptureDisk([sda, sdb], 'S2'), sdb);
    assert.equal(chooseCaptureDisk([sda, sdb], 'naa.S1'), sda);
    assert.equal(chooseCaptureDisk([sda, sdb, usb], 'sdc'), usb);
  });

  test('several fixed disks and no name, no disk, or a name no disk has: refused with what to do', () => {
    assert.throws(() => chooseCaptureDisk([sda, sdb], ''), refused(/2 disks \(sda serial S1, sdb serial S2\); name the one to capture with --disk <serial>/));
    assert.throws(() => chooseCaptureDisk([usb], ''), refused(/no fixed disk/));
    assert.throws(() => chooseCaptureDisk([sda], 'S9'), refused(/no disk with serial, WWN or name S9 \(it has sda S1\)/));
  });
});
