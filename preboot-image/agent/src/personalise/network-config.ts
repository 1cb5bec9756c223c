import type { DirEntry, Edit } from './ext4-editor.js';
import { isKernelName, linkFile, renderInterfaces } from './ifupdown.js';
import { matchesByMac, networkdFileName, renderNetworkd } from './networkd.js';
import { configuresEthernets, NETPLAN_FILE, netplanRenderer, renderNetplan } from './netplan.js';
import type { NicSettings } from './nic-settings.js';

/** The network configuration formats personalisation writes. */
export type NetworkFormat = 'ifupdown' | 'systemd-networkd' | 'netplan';

/** A configuration file of the image: where, what it holds, and its metadata (kept on rewrite). */
export interface ImageFile {
  readonly path: string;
  readonly text: string;
  readonly entry: DirEntry;
}

/** What the image has for networking, read from its root file system. */
export interface ImageNetwork {
  /** /etc/network/interfaces, if a regular file. */
  readonly interfaces: ImageFile | null;
  /** /etc/netplan/*.yaml. */
  readonly netplan: readonly ImageFile[];
  /** /etc/systemd/network/*.network. */
  readonly networkd: readonly ImageFile[];
  /** systemd-networkd.service is enabled (multi-user.target.wants) though no .network file exists yet. */
  readonly networkdEnabled: boolean;
  /** The image runs systemd-udevd, which reads .link files. */
  readonly udevd: boolean;
  /** /etc/systemd and /etc/systemd/network exist. */
  readonly systemdDir: boolean;
  readonly systemdNetworkDir: boolean;
  /** Every path in the configuration folders (to replace rather than add, and to keep a first *.rackcast-source). */
  readonly existing: ReadonlySet<string>;
}

/** What personalisation does to the network configuration. */
export interface NetworkChanges {
  readonly formats: NetworkFormat[];
  readonly edits: Edit[];
  /** Files written, e.g. "/etc/netplan/90-rackcast.yaml". */
  readonly written: string[];
  /** The image's files renamed to *.rackcast-source (they describe the source machine's NICs). */
  readonly keptAsSource: string[];
}

export const SOURCE_SUFFIX = '.rackcast-source';
const NETWORKD_DIR = '/etc/systemd/network';

/** Files this code wrote on an earlier run (a deploy personalised twice): replaced, never disabled. */
const isOurs = (path: string): boolean => /\/(05-rackcast-[0-9a-f]{12}\.network|10-rackcast-[^/]+\.link|90-rackcast\.yaml)$/.test(path);

function write(image: ImageNetwork, path: string, content: string, like: DirEntry | null, mode = 0o644): Extract<Edit, { op: 'write' }> {
  return { op: 'write', path, content, mode: like?.mode ?? mode, uid: like?.uid ?? 0, gid: like?.gid ?? 0, replace: image.existing.has(path) };
}

/** Renames the image's file to *.rackcast-source; when an earlier run already kept one, that first copy stays and this file is removed. */
function disable(image: ImageNetwork, file: ImageFile, out: NetworkChanges): void {
  const kept = `${file.path}${SOURCE_SUFFIX}`;
  out.edits.push(image.existing.has(kept) ? { op: 'remove', path: file.path } : { op: 'rename', from: file.path, to: kept });
  out.keptAsSource.push(file.path);
}

function ensureNetworkdDir(image: ImageNetwork, out: NetworkChanges): void {
  if (!image.systemdDir && !out.edits.some((e) => e.op === 'mkdir' && e.path === '/etc/systemd')) out.edits.push({ op: 'mkdir', path: '/etc/systemd' });
  if (!image.systemdNetworkDir && !out.edits.some((e) => e.op === 'mkdir' && e.path === NETWORKD_DIR)) out.edits.push({ op: 'mkdir', path: NETWORKD_DIR });
}

function ifupdown(image: ImageNetwork, nics: readonly NicSettings[], out: NetworkChanges): void {
  const file = image.interfaces;
  if (file === null) return;
  out.formats.push('ifupdown');
  disable(image, file, out);
  out.edits.push({ ...write(image, file.path, renderInterfaces(file.text, nics), file.entry), replace: false });
  out.written.push(file.path);
  // Pin names by MAC where udev reads .link files; never a kernel-style name (it would race the kernel).
  for (const nic of nics.filter((n) => image.udevd && !isKernelName(n.name))) {
    ensureNetworkdDir(image, out);
    const path = `${NETWORKD_DIR}/10-rackcast-${nic.name}.link`;
    out.edits.push(write(image, path, linkFile(nic), null));
    out.written.push(path);
  }
}

function networkd(image: ImageNetwork, nics: readonly NicSettings[], out: NetworkChanges): void {
  if (image.networkd.length === 0 && !image.networkdEnabled) return;
  out.formats.push('systemd-networkd');
  for (const file of image.networkd.filter((f) => !isOurs(f.path) && matchesByMac(f.text))) disable(image, file, out);
  ensureNetworkdDir(image, out);
  for (const nic of nics) {
    const path = `${NETWORKD_DIR}/${networkdFileName(nic)}`;
    out.edits.push(write(image, path, renderNetworkd(nic), null));
    out.written.push(path);
  }
}

function netplan(image: ImageNetwork, nics: readonly NicSettings[], out: NetworkChanges): void {
  if (image.netplan.length === 0) return;
  out.formats.push('netplan');
  const replaced = image.netplan.filter((f) => !isOurs(f.path) && configuresEthernets(f.text));
  for (const file of replaced) disable(image, file, out);
  const renderer = image.netplan.map((f) => netplanRenderer(f.text)).find((r) => r !== null) ?? null;
  const path = `/etc/netplan/${NETPLAN_FILE}`;
  // 0600: netplan ≥ 0.106 warns about readable files (they may hold Wi-Fi secrets); the image's own mode when it had one.
  out.edits.push(write(image, path, renderNetplan(nics, renderer), replaced[0]?.entry ?? null, 0o600));
  out.written.push(path);
}

/**
 * The network configuration of the clone, in every format the image uses, each NIC keyed to
 * its own MAC: ifupdown's interfaces file is rewritten (names pinned by .link files where udev
 * reads them), a networkd .network file per NIC is added ahead of the image's, and one netplan
 * file replaces the image's Ethernet files. The image's files that describe the source
 * machine's NICs are renamed to *.rackcast-source, not deleted: a technician can see what the
 * source had. Nothing is written when the plan has no NICs.
 */
export function planNetworkChanges(image: ImageNetwork, nics: readonly NicSettings[]): NetworkChanges {
  const out: NetworkChanges = { formats: [], edits: [], written: [], keptAsSource: [] };
  if (nics.length === 0) return out;
  ifupdown(image, nics, out);
  networkd(image, nics, out);
  netplan(image, nics, out);
  return out;
}
