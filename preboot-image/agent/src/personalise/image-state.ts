import type { DirEntry, Ext4Editor } from './ext4-editor.js';
import type { ImageFile, ImageNetwork } from './network-config.js';

/** The folders personalisation looks into. */
const DIRS = [
  '/etc', '/etc/ssh', '/etc/network', '/etc/netplan', '/etc/systemd', '/etc/systemd/network',
  '/etc/systemd/system/multi-user.target.wants', '/var/lib/dbus', '/lib/systemd', '/usr/lib/systemd',
] as const;

/** What the restored root file system holds that personalisation reads or replaces. */
export interface ImageState {
  readonly hostname: ImageFile | null;
  readonly hosts: ImageFile | null;
  readonly machineId: ImageFile | null;
  /** /var/lib/dbus/machine-id when it is a file of its own (usually a link to /etc/machine-id). */
  readonly dbusMachineId: ImageFile | null;
  /** Entries of /etc/ssh (empty when missing). */
  readonly ssh: readonly DirEntry[];
  readonly network: ImageNetwork;
  /** Paths personalisation leaves alone, and why (e.g. "/etc/hostname is a symbolic link"). */
  readonly skipped: readonly string[];
}

type Listing = Map<string, DirEntry[] | null>;

function entryOf(listing: Listing, path: string): DirEntry | null {
  const cut = path.lastIndexOf('/');
  return listing.get(path.slice(0, cut) || '/')?.find((e) => e.name === path.slice(cut + 1)) ?? null;
}

/** Regular files among `paths`; links and other kinds are noted as skipped. */
function regularFiles(listing: Listing, paths: readonly string[], skipped: string[]): string[] {
  return paths.filter((p) => {
    const e = entryOf(listing, p);
    if (e !== null && e.kind !== 'file') skipped.push(`${p} is a ${e.kind === 'symlink' ? 'symbolic link' : e.kind}: left as it is`);
    return e?.kind === 'file';
  });
}

const inDir = (listing: Listing, dir: string, suffix: string): string[] =>
  (listing.get(dir) ?? []).filter((e) => e.name.endsWith(suffix)).map((e) => `${dir}/${e.name}`);

/** Lists the folders, then reads every file personalisation needs, in two debugfs runs. */
export async function readImageState(editor: Ext4Editor): Promise<ImageState> {
  const listing = await editor.list(DIRS);
  const skipped: string[] = [];
  const single = ['/etc/hostname', '/etc/hosts', '/etc/machine-id', '/etc/network/interfaces'];
  const netplan = inDir(listing, '/etc/netplan', '.yaml');
  const networkd = inDir(listing, '/etc/systemd/network', '.network');
  const wanted = regularFiles(listing, [...single, ...netplan, ...networkd], skipped);
  const dbus = entryOf(listing, '/var/lib/dbus/machine-id')?.kind === 'file' ? ['/var/lib/dbus/machine-id'] : [];
  const texts = await editor.read([...wanted, ...dbus]);
  const file = (path: string): ImageFile | null => {
    const text = texts.get(path);
    const entry = entryOf(listing, path);
    return text === undefined || entry === null ? null : { path, text, entry };
  };
  const files = (paths: readonly string[]): ImageFile[] => paths.map(file).filter((f): f is ImageFile => f !== null);
  const has = (dir: string, name: string): boolean => (listing.get(dir) ?? []).some((e) => e.name === name);
  const existing = new Set([...listing].flatMap(([dir, entries]) => (entries ?? []).map((e) => `${dir}/${e.name}`)));
  return {
    hostname: file('/etc/hostname'), hosts: file('/etc/hosts'), machineId: file('/etc/machine-id'), dbusMachineId: file('/var/lib/dbus/machine-id'),
    ssh: listing.get('/etc/ssh') ?? [],
    network: {
      interfaces: file('/etc/network/interfaces'), netplan: files(netplan), networkd: files(networkd),
      networkdEnabled: has('/etc/systemd/system/multi-user.target.wants', 'systemd-networkd.service'),
      udevd: has('/lib/systemd', 'systemd-udevd') || has('/usr/lib/systemd', 'systemd-udevd'),
      systemdDir: listing.get('/etc/systemd') !== null, systemdNetworkDir: listing.get('/etc/systemd/network') !== null, existing,
    },
    skipped,
  };
}
