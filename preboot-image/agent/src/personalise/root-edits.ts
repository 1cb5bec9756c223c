import type { Personalisation } from '@rackcast/wire';
import type { Edit } from './ext4-editor.js';
import { sshHostKeyNames } from './host-keys.js';
import { hostnameFile, updateHosts } from './hostname.js';
import type { ImageState } from './image-state.js';
import { machineIdAction, machineIdFile, MACHINE_ID, type MachineIdAction } from './machine-id.js';
import type { ImageFile } from './network-config.js';

/** The identity edits of the root file system, and what they amount to. */
export interface IdentityEdits {
  readonly edits: Edit[];
  readonly previousHostname: string;
  readonly hosts: 'updated' | 'added' | 'absent';
  readonly machineId: MachineIdAction | 'not-planned';
  /** The clone's new machine id; null when none was written. */
  readonly newMachineId: string | null;
  readonly removedSshHostKeys: string[];
}

/** Replaces a file, keeping its mode and owner (a new file: 0644 root). */
function replaceFile(path: string, content: string, old: ImageFile | null): Edit {
  return { op: 'write', path, content, mode: old?.entry.mode ?? 0o644, uid: old?.entry.uid ?? 0, gid: old?.entry.gid ?? 0, replace: old !== null };
}

function machineIdEdits(state: ImageState, p: Personalisation, id: string, edits: Edit[]): Pick<IdentityEdits, 'machineId' | 'newMachineId'> {
  if (!p.newMachineId) return { machineId: 'not-planned', newMachineId: null };
  const action = machineIdAction(state.machineId?.text ?? null);
  if (action !== 'renew') return { machineId: action, newMachineId: null };
  edits.push(replaceFile('/etc/machine-id', machineIdFile(id), state.machineId));
  // dbus keeps its own copy when it is not a link to /etc/machine-id (older dbus, some images).
  if (state.dbusMachineId !== null && MACHINE_ID.test(state.dbusMachineId.text.trim())) edits.push(replaceFile('/var/lib/dbus/machine-id', machineIdFile(id), state.dbusMachineId));
  return { machineId: 'renew', newMachineId: id };
}

/**
 * Hostname (/etc/hostname and /etc/hosts), machine id and SSH host keys of the clone, as edits
 * of its root file system. `id` is the fresh machine id to write when the image has a real one.
 */
export function identityEdits(state: ImageState, p: Personalisation, id: string): IdentityEdits {
  const edits: Edit[] = [];
  // A link or other non-file at /etc/hostname is left alone (readImageState notes it).
  if (state.hostname !== null || !state.network.existing.has('/etc/hostname')) edits.push(replaceFile('/etc/hostname', hostnameFile(p.hostname), state.hostname));
  const previousHostname = state.hostname?.text.split('\n')[0]?.trim() ?? '';
  let hosts: IdentityEdits['hosts'] = 'absent';
  if (state.hosts !== null) {
    const updated = updateHosts(state.hosts.text, p.hostname, previousHostname);
    edits.push(replaceFile('/etc/hosts', updated.text, state.hosts));
    hosts = updated.change;
  }
  const machine = machineIdEdits(state, p, id, edits);
  const removedSshHostKeys = p.removeSshHostKeys ? sshHostKeyNames(state.ssh).map((n) => `/etc/ssh/${n}`) : [];
  for (const path of removedSshHostKeys) edits.push({ op: 'remove', path });
  return { edits, previousHostname, hosts, ...machine, removedSshHostKeys };
}
