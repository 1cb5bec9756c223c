import { cpus, machine, totalmem } from 'node:os';
import {
  PROFILE_LIMITS, PROFILE_SCHEMA_VERSION, parseMachineProfile,
  type CpuProfile, type DiskProfile, type FirmwareProfile, type MachineProfile, type SystemProfile,
} from '@rackcast/wire';
import { boundedProbe } from './bounded-probe.js';
import { cleanIdentity, cleanText, cleanUuid } from './clean-text.js';
import { readCpuTopology, type CpuTopology } from './cpu-probe.js';
import { EMPTY_SYSTEM, readDmiSystem, readFirmware } from './dmi-probe.js';
import { readDisks } from './disk-probe.js';
import { systemInformation, type HardwareInfo } from './hardware-info.js';
import { readNics, systemAddresses, type AddressSource } from './nic-probe.js';
import { Sysfs } from './sysfs.js';

/** Where detection looks and how long each probe may take. */
export interface DetectOptions {
  /** sysfs root, e.g. "/sys" (the default) or a fake tree in tests. */
  readonly sysfsRoot?: string;
  /** systeminformation by default; null skips it (sysfs and os only). */
  readonly info?: HardwareInfo | null;
  /** Addresses of an interface; os.networkInterfaces() by default. */
  readonly addresses?: AddressSource;
  /** Deadline per probe, e.g. 5000. */
  readonly probeTimeoutMs?: number;
  readonly now?: () => Date;
}

const DEFAULT_PROBE_TIMEOUT_MS = 5000;
const EMPTY_TOPOLOGY: CpuTopology = { sockets: 0, cores: 0, threads: 0 };
const UNKNOWN_FIRMWARE: FirmwareProfile = { mode: 'unknown', vendor: '', version: '', date: '', secureBoot: null };

type InfoAnswer<K extends keyof HardwareInfo> = Awaited<ReturnType<HardwareInfo[K]>> | null;

/** SMBIOS from sysfs; fields it left empty come from systeminformation (dmidecode), if that knew them. */
function mergeSystem(dmi: SystemProfile, fromInfo: InfoAnswer<'system'>): SystemProfile {
  if (fromInfo === null) return dmi;
  return {
    ...dmi,
    uuid: dmi.uuid || cleanUuid(fromInfo.uuid), serial: dmi.serial || cleanIdentity(fromInfo.serial),
    vendor: dmi.vendor || cleanIdentity(fromInfo.manufacturer), model: dmi.model || cleanIdentity(fromInfo.model),
  };
}

function mergeFirmware(firmware: FirmwareProfile, bios: InfoAnswer<'bios'>): FirmwareProfile {
  if (bios === null) return firmware;
  return { ...firmware, vendor: firmware.vendor || cleanIdentity(bios.vendor), version: firmware.version || cleanText(bios.version), date: firmware.date || cleanText(bios.releaseDate) };
}

/**
 * Processor facts: counts from systeminformation (lscpu), else the kernel's topology; the model
 * string from the kernel (os.cpus(), /proc/cpuinfo "model name"), which is complete where
 * systeminformation splits it into manufacturer and brand.
 */
function mergeCpu(info: InfoAnswer<'cpu'>, topology: CpuTopology): CpuProfile {
  const logical = cpus();
  const count = (n: number | undefined): number => (n !== undefined && Number.isSafeInteger(n) && n > 0 ? n : 0);
  const ghz = info?.speed ?? 0;
  return {
    vendor: cleanText(info?.vendor || info?.manufacturer),
    model: cleanText(logical[0]?.model || `${info?.manufacturer ?? ''} ${info?.brand ?? ''}`),
    architecture: cleanText(machine()),
    sockets: count(info?.processors) || topology.sockets,
    cores: count(info?.physicalCores) || topology.cores,
    threads: count(info?.cores) || topology.threads || logical.length,
    mhz: Number.isFinite(ghz) && ghz > 0 ? Math.round(ghz * 1000) : count(logical[0]?.speed),
  };
}

/** sysfs is the list of disks; lsblk (through systeminformation) fills model, serial and transport it lacks. */
function mergeDisks(disks: readonly DiskProfile[], blocks: InfoAnswer<'blockDevices'>): DiskProfile[] {
  return disks.slice(0, PROFILE_LIMITS.disks).map((disk) => {
    const other = blocks?.find((b) => b.name === disk.name && b.type === 'disk');
    if (other === undefined) return disk;
    return {
      ...disk, model: disk.model || cleanIdentity(other.model), serial: disk.serial || cleanIdentity(other.serial),
      transport: disk.transport || cleanText(other.protocol).toLowerCase(),
    };
  });
}

/**
 * Detects this machine's hardware profile. Every probe runs at once, each under its own
 * deadline; one that fails or runs late leaves its fields empty and adds a line to `problems`,
 * so a profile always comes back. The result has passed the shared schema check.
 */
export async function detectProfile(options: DetectOptions = {}): Promise<MachineProfile> {
  const sys = new Sysfs(options.sysfsRoot ?? '/sys');
  const info = options.info === undefined ? systemInformation : options.info;
  const timeout = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const problems: string[] = [];
  const problem = (line: string): void => { problems.push(cleanText(line, PROFILE_LIMITS.problem)); };
  const probe = <T>(name: string, run: () => Promise<T>, fallback: T): Promise<T> => boundedProbe(name, timeout, run, fallback, problem);
  const ask = <K extends keyof HardwareInfo>(name: K): Promise<InfoAnswer<K>> =>
    info === null ? Promise.resolve(null) : probe(`systeminformation ${name}`, () => info[name]() as Promise<Awaited<ReturnType<HardwareInfo[K]>>>, null);

  const [dmi, firmware, disks, nics, topology, siSystem, siBios, siCpu, siMem, siBlocks] = await Promise.all([
    probe('dmi', () => readDmiSystem(sys), EMPTY_SYSTEM),
    probe('firmware', () => readFirmware(sys), UNKNOWN_FIRMWARE),
    probe('disks', () => readDisks(sys), [] as DiskProfile[]),
    probe('nics', () => readNics(sys, options.addresses ?? systemAddresses), []),
    probe('cpu topology', () => readCpuTopology(sys), EMPTY_TOPOLOGY),
    ask('system'), ask('bios'), ask('cpu'), ask('mem'), ask('blockDevices'),
  ]);
  const memory = siMem !== null && Number.isSafeInteger(siMem.total) && siMem.total > 0 ? siMem.total : totalmem();
  return parseMachineProfile({
    schema: PROFILE_SCHEMA_VERSION,
    detectedAt: (options.now?.() ?? new Date()).toISOString(),
    system: mergeSystem(dmi, siSystem),
    firmware: mergeFirmware(firmware, siBios),
    cpu: mergeCpu(siCpu, topology),
    memory: { totalBytes: memory },
    disks: mergeDisks(disks, siBlocks),
    nics: nics.slice(0, PROFILE_LIMITS.nics),
    problems: problems.slice(0, PROFILE_LIMITS.problems),
  });
}
