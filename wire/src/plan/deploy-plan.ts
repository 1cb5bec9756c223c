/**
 * A plan: what the agent does on one machine in a deploy or restore — which disk it writes, how
 * the restored layout is fitted to that disk, and how the clone is personalised. The server
 * computes it from the image version (its layout and source profile) and the machine's profile
 * (`planRestore`), shows it to the technician, and sends it with the machine's deploy job. The
 * agent follows it and refuses, with a reason, when the machine does not match it.
 */

export const DEPLOY_PLAN_SCHEMA_VERSION = 1;

/** A disk named by what it is, never by its kernel name (`/dev/sdX` moves between boots). */
export interface DiskIdentity {
  /** Serial number as the profile reports it; '' when the disk has none. */
  readonly serial: string;
  /** World wide name, e.g. "0x5000c500a1b2c3d4" / "eui.…"; '' when the disk has none. */
  readonly wwn: string;
  /** Exact size in bytes. */
  readonly sizeBytes: number;
  readonly model: string;
  /** Kernel name when the plan was made (e.g. "vda"): shown to people, never used to match. */
  readonly nameHint: string;
}

/** What the image holds, as far as the agent needs to know. */
export interface PlannedImage {
  readonly name: string;
  readonly version: number;
  /** Size of the source disk in bytes. */
  readonly diskBytes: number;
  /** End of the last used byte in the image: the least a target disk must hold. */
  readonly usedEndBytes: number;
  /** Partition table of the image: how to fit it to the target. */
  readonly table: 'gpt' | 'mbr' | 'none';
}

/** How the restored layout is fitted to the target disk. */
export interface LayoutFit {
  /**
   * 1-based partition to grow (or shrink) to the end of the target disk; null keeps every
   * partition as it is (the GPT backup header is still moved to the end of a larger disk).
   */
  readonly resizePartition: number | null;
  /** The filesystem inside it, resized with the partition; 'none' resizes the partition only. */
  readonly filesystem: 'ext4' | 'none';
}

/** One network interface of the target, keyed by its own MAC. */
export interface NicConfig {
  readonly mac: string;
  readonly mode: 'dhcp' | 'static';
  /** Static only: address with prefix, e.g. "10.0.0.21/24"; '' for DHCP. */
  readonly address: string;
  /** Static only; '' for none. */
  readonly gateway: string;
  readonly dns: readonly string[];
}

/** What the agent changes in the restored system before its first boot. */
export interface Personalisation {
  /** 1-based partition holding the root filesystem (/etc); null: nothing to personalise. */
  readonly rootPartition: number | null;
  readonly hostname: string;
  readonly nics: readonly NicConfig[];
  /** Write a fresh /etc/machine-id (systemd, dbus): clones must not share one. */
  readonly newMachineId: boolean;
  /** Delete /etc/ssh/ssh_host_*: they are regenerated at first boot, never shared. */
  readonly removeSshHostKeys: boolean;
  /** Create a UEFI boot entry for the restored disk (UEFI targets only); null: none. */
  readonly uefiBootEntry: { readonly label: string; readonly partition: number; readonly loader: string } | null;
}

export interface DeployPlan {
  readonly schema: typeof DEPLOY_PLAN_SCHEMA_VERSION;
  readonly image: PlannedImage;
  /** The one disk the agent writes. */
  readonly target: DiskIdentity;
  /** The machine's other disks: never written (listed so the agent can say so, and check). */
  readonly untouched: readonly DiskIdentity[];
  readonly layout: LayoutFit;
  readonly personalise: Personalisation;
}
