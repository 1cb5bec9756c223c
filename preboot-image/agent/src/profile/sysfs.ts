import { readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';

/**
 * Reads files below a sysfs root ("/sys", or a fake tree in tests). Every read answers null
 * instead of throwing: many attributes are missing on some hardware or refuse a read (a NIC's
 * `speed` gives EINVAL while the link is down), and a missing value is not an error.
 */
export class Sysfs {
  readonly root: string;

  constructor(root = '/sys') {
    this.root = root;
  }

  path(rel: string): string {
    return join(this.root, rel);
  }

  /** The file's text without surrounding whitespace; null if unreadable. */
  async text(rel: string): Promise<string | null> {
    try {
      return (await readFile(this.path(rel), 'utf8')).trim();
    } catch {
      return null;
    }
  }

  /** The file's raw bytes (binary attributes such as vpd_pg83); null if unreadable. */
  async bytes(rel: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.path(rel)));
    } catch {
      return null;
    }
  }

  /** A decimal integer attribute; null if unreadable or not a number. */
  async integer(rel: string): Promise<number | null> {
    const text = await this.text(rel);
    if (text === null || !/^-?\d+$/.test(text)) return null;
    return Number(text);
  }

  /** The last path component a symlink points at (a driver's name); null if not a link. */
  async linkName(rel: string): Promise<string | null> {
    try {
      return basename(await readlink(this.path(rel)));
    } catch {
      return null;
    }
  }

  /** Where a link resolves, relative to the root ("devices/pci0000:00/..."); null if broken. */
  async resolve(rel: string): Promise<string | null> {
    try {
      const [target, root] = await Promise.all([realpath(this.path(rel)), realpath(this.root)]);
      return relative(root, target);
    } catch {
      return null;
    }
  }

  /** Entry names of a directory, sorted; empty if it is missing. */
  async list(rel: string): Promise<string[]> {
    try {
      return (await readdir(this.path(rel))).sort();
    } catch {
      return [];
    }
  }

  async exists(rel: string): Promise<boolean> {
    return stat(this.path(rel)).then(() => true, () => false);
  }
}

/**
 * The hardware location of a device from its resolved sysfs path: "devices/<path>/<class>/<name>"
 * becomes "<path>" (e.g. "pci0000:00/0000:00:03.0/virtio0"); "" for virtual devices.
 */
export function hardwarePath(resolved: string | null): string {
  if (resolved === null || !resolved.startsWith('devices/') || resolved.startsWith('devices/virtual/')) return '';
  const parts = resolved.split('/').slice(1, -1);
  // Block and net devices sit in a class folder below their parent ("…/block/sda", "…/net/eth0");
  // NVMe namespaces sit directly below their controller ("…/nvme/nvme0/nvme0n1").
  if (parts.at(-1) === 'block' || parts.at(-1) === 'net') parts.pop();
  return parts.join('/');
}
