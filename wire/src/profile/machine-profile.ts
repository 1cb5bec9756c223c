/**
 * A machine's hardware profile: what the agent detects in the preboot environment and uploads,
 * and what the server keeps per machine (and, later, per image). Plain JSON; `parseMachineProfile`
 * is the one gate both sides pass it through. Unknown values are empty strings, null or 0,
 * never absent, so a reader never has to guess whether a field was forgotten or not found.
 */

/** Version of this schema; a profile carries it in `schema`. */
export const PROFILE_SCHEMA_VERSION = 1;

/**
 * Bounds on what a profile may hold, so one machine cannot make the server store or render
 * megabytes: a fully loaded profile stays under the API's 1 MB request limit.
 */
export const PROFILE_LIMITS = {
  /** Disks kept (a 4U JBOD head has ~90). */
  disks: 128,
  /** Network interfaces kept. */
  nics: 64,
  /** Addresses per interface. */
  addresses: 16,
  /** Characters of a text field (DMI strings are at most 255 bytes, SMBIOS 3.x). */
  text: 256,
  /** Characters of a sysfs device path. */
  path: 512,
  /** Detection problems kept, and characters per problem. */
  problems: 32,
  problem: 300,
} as const;

/** How the firmware booted the preboot kernel: from /sys/firmware/efi (present = UEFI). */
export type FirmwareMode = 'uefi' | 'bios' | 'unknown';

/** Identity of the machine from SMBIOS (Linux /sys/class/dmi/id). */
export interface SystemProfile {
  /** SMBIOS system UUID, lowercase, e.g. "4c4c4544-0042-3510-8052-b4c04f4e3432". */
  readonly uuid: string;
  /** System serial number, e.g. "CZJ1234567". */
  readonly serial: string;
  /** Manufacturer, e.g. "Dell Inc.". */
  readonly vendor: string;
  /** Product name, e.g. "PowerEdge R640". */
  readonly model: string;
  /** Mainboard manufacturer, e.g. "Dell Inc.". */
  readonly boardVendor: string;
  /** Mainboard product, e.g. "0H28RR". */
  readonly boardModel: string;
  /** Mainboard serial number. */
  readonly boardSerial: string;
  /** SMBIOS chassis type number as text, e.g. "23" (rack mount chassis). */
  readonly chassisType: string;
  /** Chassis serial number (often the service tag). */
  readonly chassisSerial: string;
  /** Chassis asset tag set by the owner. */
  readonly assetTag: string;
}

/** The firmware the machine runs. */
export interface FirmwareProfile {
  readonly mode: FirmwareMode;
  /** BIOS/UEFI vendor, e.g. "American Megatrends Inc.". */
  readonly vendor: string;
  /** Firmware version, e.g. "2.17.1". */
  readonly version: string;
  /** Release date as the firmware states it, e.g. "03/14/2023". */
  readonly date: string;
  /** UEFI Secure Boot state; null when unknown or not UEFI. */
  readonly secureBoot: boolean | null;
}

/** Processors. Counts are 0 when unknown. */
export interface CpuProfile {
  /** e.g. "GenuineIntel". */
  readonly vendor: string;
  /** e.g. "Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz". */
  readonly model: string;
  /** Kernel architecture, e.g. "x86_64". */
  readonly architecture: string;
  readonly sockets: number;
  /** Physical cores over all sockets. */
  readonly cores: number;
  /** Logical processors (hardware threads) over all sockets. */
  readonly threads: number;
  /** Nominal clock in MHz, e.g. 2100. */
  readonly mhz: number;
}

/** Memory the kernel sees. */
export interface MemoryProfile {
  /** MemTotal in bytes, e.g. 17179869184. */
  readonly totalBytes: number;
}

/** One whole disk (not a partition). Targets are chosen by serial, WWN or sysfsPath, never by name. */
export interface DiskProfile {
  /** Kernel name, e.g. "nvme0n1", "sda", "vda". */
  readonly name: string;
  readonly sizeBytes: number;
  /** e.g. 512. */
  readonly logicalBlockSize: number;
  /** e.g. 4096. */
  readonly physicalBlockSize: number;
  /** Spinning disk; null when the kernel does not say. */
  readonly rotational: boolean | null;
  readonly removable: boolean;
  readonly readOnly: boolean;
  /** e.g. "SAMSUNG MZ7LH960HAJR-00005". */
  readonly model: string;
  /** e.g. "ATA". */
  readonly vendor: string;
  /** e.g. "S45NNE0M123456". */
  readonly serial: string;
  /** World wide name as the kernel spells it, e.g. "naa.5002538e40a1b2c3", "eui.0025388b91b2c3d4". */
  readonly wwn: string;
  /** How it is attached: "nvme", "sata", "sas", "scsi", "usb", "virtio", "mmc" or "". */
  readonly transport: string;
  /** Hardware location below /sys/devices, e.g. "pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0". */
  readonly sysfsPath: string;
}

/** One physical network interface. */
export interface NicProfile {
  /** Kernel name, e.g. "eno1". */
  readonly name: string;
  /** Hardware address, lowercase colon form, e.g. "52:54:00:12:34:56"; "" if none. */
  readonly mac: string;
  /** Kernel driver, e.g. "ixgbe", "virtio_net". */
  readonly driver: string;
  /** Link speed; null when the link is down or the driver does not say. */
  readonly speedMbps: number | null;
  /** Link detected; null when the interface is down (the kernel cannot tell). */
  readonly carrier: boolean | null;
  /** RFC 2863 state as the kernel names it, e.g. "up", "down", "unknown". */
  readonly operstate: string;
  readonly mtu: number;
  /** Hardware location below /sys/devices, e.g. "pci0000:00/0000:00:03.0". */
  readonly sysfsPath: string;
  /** Addresses with prefix length, e.g. ["10.0.0.23/24", "fe80::5054:ff:fe12:3456/64"]. */
  readonly addresses: readonly string[];
}

/** Everything the agent found, and what it could not find (`problems`). */
export interface MachineProfile {
  readonly schema: typeof PROFILE_SCHEMA_VERSION;
  /** When detection ran (ISO 8601), e.g. "2025-01-31T10:00:00.000Z". */
  readonly detectedAt: string;
  readonly system: SystemProfile;
  readonly firmware: FirmwareProfile;
  readonly cpu: CpuProfile;
  readonly memory: MemoryProfile;
  readonly disks: readonly DiskProfile[];
  readonly nics: readonly NicProfile[];
  /** One line per probe that failed or timed out, e.g. "dmi: timed out after 5000 ms". */
  readonly problems: readonly string[];
}
