import type { Sysfs } from './sysfs.js';

/** Processor counts from the kernel's CPU topology; 0 where it says nothing. */
export interface CpuTopology {
  readonly sockets: number;
  readonly cores: number;
  readonly threads: number;
}

/**
 * Counts sockets, cores and threads from /sys/devices/system/cpu/cpuN/topology: each online
 * logical CPU is a thread, distinct package ids are sockets, distinct (package, core) pairs
 * are cores. Used when lscpu (behind systeminformation) is missing from the image.
 */
export async function readCpuTopology(sys: Sysfs): Promise<CpuTopology> {
  const cpus = (await sys.list('devices/system/cpu')).filter((n) => /^cpu\d+$/.test(n));
  const ids = await Promise.all(cpus.map(async (cpu) => {
    const [pkg, core] = await Promise.all([
      sys.integer(`devices/system/cpu/${cpu}/topology/physical_package_id`), sys.integer(`devices/system/cpu/${cpu}/topology/core_id`),
    ]);
    return pkg === null || core === null ? null : { pkg, core };
  }));
  const known = ids.filter((x): x is { pkg: number; core: number } => x !== null);
  return {
    sockets: new Set(known.map((x) => x.pkg)).size,
    cores: new Set(known.map((x) => `${x.pkg}/${x.core}`)).size,
    threads: known.length,
  };
}
