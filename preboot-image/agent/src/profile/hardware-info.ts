import si from 'systeminformation';

/**
 * The parts of `systeminformation` the agent uses, as an interface so tests can hand in
 * captured answers instead of running lscpu, lsblk and dmidecode. Research measured each call
 * at 10–250 ms with event-loop stalls; the agent calls them once, before any transfer.
 */
export interface HardwareInfo {
  cpu(): Promise<{ readonly manufacturer: string; readonly brand: string; readonly vendor: string; readonly speed: number; readonly cores: number; readonly physicalCores: number; readonly processors: number }>;
  mem(): Promise<{ readonly total: number }>;
  blockDevices(): Promise<readonly { readonly name: string; readonly type: string; readonly model: string; readonly serial: string; readonly protocol: string }[]>;
  system(): Promise<{ readonly manufacturer: string; readonly model: string; readonly serial: string; readonly uuid: string }>;
  bios(): Promise<{ readonly vendor: string; readonly version: string; readonly releaseDate: string }>;
}

/** The real thing. */
export const systemInformation: HardwareInfo = {
  cpu: () => si.cpu(),
  mem: () => si.mem(),
  blockDevices: () => si.blockDevices(),
  system: () => si.system(),
  bios: () => si.bios(),
};
