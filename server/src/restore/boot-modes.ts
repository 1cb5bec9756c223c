import type { CapturedConfig } from '@rackcast/wire';
import type { ImageFacts } from '../deploy/index.js';

/** A firmware mode an image can boot in. */
export type BootMode = 'bios' | 'uefi';

const ESP_GUID = 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B';
const BIOS_BOOT_GUID = '21686148-6449-6E6F-744E-656564454649';

/**
 * The firmware modes an image boots in (pure): UEFI with an EFI System Partition; BIOS with an
 * MBR, a GPT BIOS boot partition (GRUB) or a partition marked LegacyBIOSBootable (syslinux's
 * gptmbr); and always the mode the captured machine itself booted in.
 */
export function bootModesOf(config: CapturedConfig | null, facts: Pick<ImageFacts, 'table' | 'partitions'>): BootMode[] {
  const modes = new Set<BootMode>();
  const table = config?.partitionTable ?? null;
  if (table !== null) {
    const types = table.partitions.map((p) => p.type.toUpperCase());
    if (types.includes(ESP_GUID) || types.includes('EF')) modes.add('uefi');
    if (table.label === 'dos' || types.includes(BIOS_BOOT_GUID) || table.partitions.some((p) => /LegacyBIOSBootable/i.test(p.attrs))) modes.add('bios');
  } else {
    if (facts.partitions.some((p) => p.kind === 'esp')) modes.add('uefi');
    if (facts.table === 'mbr' || facts.partitions.some((p) => p.kind === 'bios-boot')) modes.add('bios');
  }
  if (config !== null && config.firmwareMode !== 'unknown') modes.add(config.firmwareMode);
  return [...modes].sort();
}
