import { PersonaliseError } from './personalise-error.js';

/** RFC 1123 §2.1 host name: labels of letters, digits and hyphens, not starting or ending with one; 253 characters at most. */
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** Throws RC_ERR_PERSONALISE_PLAN unless `name` is a host name a clone can carry. */
export function checkHostname(name: string): void {
  if (name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) {
    throw new PersonaliseError('RC_ERR_PERSONALISE_PLAN', `the plan's hostname ${JSON.stringify(name)} is not a valid host name (RFC 1123: letters, digits and hyphens, dot-separated labels of 1–63 characters); fix the machine record or naming pattern and deploy again`);
  }
}

/** /etc/hostname: the name and a newline (hostname(5)). */
export const hostnameFile = (name: string): string => `${name}\n`;

/** The names of the 127.0.1.1 line: the name, and its short form when it is a fully qualified one (Debian's convention). */
function loopbackNames(name: string): string {
  const short = name.split('.')[0] ?? name;
  return short === name ? name : `${name} ${short}`;
}

/**
 * /etc/hosts with the clone's name: the 127.0.1.1 line (Debian's line for the host's own name)
 * names the new host, and the old name is replaced wherever it stands as a name on another line
 * (127.0.0.1 … oldname). Comments and every other line stay. Without a 127.0.1.1 line, one is
 * added after the 127.0.0.1 line (or at the end).
 */
export function updateHosts(text: string, name: string, oldName: string): { text: string; change: 'updated' | 'added' } {
  const lines = text.split('\n');
  let found = false;
  const out = lines.map((line) => {
    const [body = '', ...comment] = line.split('#');
    const fields = body.trim().split(/\s+/);
    if (fields[0] === '127.0.1.1') {
      found = true;
      return `127.0.1.1\t${loopbackNames(name)}${comment.length ? ` #${comment.join('#')}` : ''}`;
    }
    if (oldName === '' || fields.length < 2 || !fields.slice(1).includes(oldName)) return line;
    const names = fields.slice(1).map((f) => (f === oldName ? name : f));
    return `${fields[0]}\t${names.join(' ')}${comment.length ? ` #${comment.join('#')}` : ''}`;
  });
  if (found) return { text: out.join('\n'), change: 'updated' };
  const at = out.findIndex((l) => l.trim().split(/\s+/)[0] === '127.0.0.1');
  const trailing = out.at(-1) === '' ? 1 : 0;
  out.splice(at >= 0 ? at + 1 : out.length - trailing, 0, `127.0.1.1\t${loopbackNames(name)}`);
  return { text: out.join('\n'), change: 'added' };
}
