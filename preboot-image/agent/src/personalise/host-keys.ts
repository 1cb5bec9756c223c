import type { DirEntry } from './ext4-editor.js';

/**
 * The SSH host keys of /etc/ssh (ssh_host_*_key and .pub, certificates too): every clone must
 * make its own. Missing ones are made by `ssh-keygen -A`, which Fedora/RHEL
 * (sshd-keygen@.service) and cloud-init run at boot; a Debian image without cloud-init has no
 * such step, and its sshd stays down until someone runs `ssh-keygen -A` (or
 * `dpkg-reconfigure openssh-server`) on the clone.
 */
export function sshHostKeyNames(entries: readonly DirEntry[]): string[] {
  return entries.filter((e) => e.kind !== 'dir' && e.name.startsWith('ssh_host_')).map((e) => e.name).sort();
}
