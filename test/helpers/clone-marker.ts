// The marker line the golden image's init prints on the serial console (scripts/golden-image/
// image-files/rootfs/sbin/init), and a parser for it: what a booted clone reports about itself.

/** What the clone reported. `mac` is null when it found no NIC. */
export interface CloneMarker {
  readonly hostname: string;
  readonly machineId: string;
  readonly mac: string | null;
  readonly diskBytes: number;
  readonly rootfsBytes: number;
  readonly firmware: 'bios' | 'uefi';
  /** The static address/prefix set on the NIC from its networkd file, "dhcp", or "none". */
  readonly address: string;
}

const MARKER = /^RACKCAST-CLONE hostname=(\S+) machine-id=(\S+) mac=(\S+) disk-bytes=(\d+) rootfs-bytes=(\d+) firmware=(bios|uefi) address=(\S+)\r?$/m;

/** The first marker line in a serial log, or null when there is none (or it is garbled). */
export function parseCloneMarker(log: string): CloneMarker | null {
  const m = MARKER.exec(log);
  if (!m) return null;
  const [, hostname, machineId, mac, disk, rootfs, firmware, address] = m;
  if (!hostname || !machineId || !mac || !disk || !rootfs || !address || (firmware !== 'bios' && firmware !== 'uefi')) return null;
  return { hostname, machineId, mac: mac === 'none' ? null : mac, diskBytes: Number(disk), rootfsBytes: Number(rootfs), firmware, address };
}
