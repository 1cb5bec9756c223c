import type { Command } from 'commander';
import { isRole, ROLES, type AuditEntry, type Role, type TokenView, type UserView } from '../auth/index.js';
import type { RackcastConfig } from '../config/index.js';
import { RackcastError } from '../errors.js';
import { createLogger } from '../log.js';
import { openAccountClient, type AccountClient } from './account-client.js';
import { formatTable, print } from './format.js';
import { readNewPassword } from './read-password.js';

function parseRole(text: string): Role {
  if (!isRole(text)) throw new RackcastError('RC_ERR_BAD_REQUEST', `role ${JSON.stringify(text)} is not one of ${ROLES.join(', ')}`);
  return text;
}

function parseLimit(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1 || n > 1000) throw new RackcastError('RC_ERR_BAD_REQUEST', '--limit must be a whole number from 1 to 1000');
  return n;
}

const userRows = (users: readonly UserView[]) => formatTable(['USER', 'ROLE', 'CREATED', 'CHANGED'], users.map((u) => [u.name, u.role, u.createdAt, u.updatedAt]));
const tokenRows = (tokens: readonly TokenView[]) => formatTable(['ID', 'NAME', 'ROLE', 'CREATED BY', 'CREATED'], tokens.map((t) => [t.id, t.name, t.role, t.createdBy, t.createdAt]));
const auditRows = (entries: readonly AuditEntry[]) => formatTable(['TIME', 'ACTOR', 'VIA', 'ROLE', 'ACTION', 'TARGET', 'STATUS', 'FROM'],
  entries.map((e) => [e.at, e.actor, e.via, e.role ?? '-', e.action, e.target, String(e.status), e.ip || '-']));

/**
 * `rackcast user|token|audit …`: accounts, API tokens and the audit log. They go through the
 * running server (client.url / RACKCAST_URL, or the local server's state file); with no server
 * running they open the store directly, which is how the first admin is made on a new install.
 */
export function addAccountCommands(program: Command, loadConfig: () => Readonly<RackcastConfig>): void {
  const run = async (work: (client: AccountClient) => Promise<void>): Promise<void> => {
    const config = loadConfig();
    const log = createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
    const client = await openAccountClient(config, log);
    try {
      await work(client);
    } finally {
      await client.close();
      log.flush();
    }
  };

  const user = program.command('user').description('accounts for people: viewer (reads), operator (also deploys and changes), admin (also accounts)');
  user.command('add <name>')
    .description('create an account (the first admin is made this way: there is no default password)')
    .requiredOption('-r, --role <role>', `one of ${ROLES.join(', ')}`, parseRole)
    .option('--password-stdin', 'read the password from the first line of stdin instead of asking')
    .option('--json', 'print the account as JSON')
    .action(async (name: string, o: { role: Role; passwordStdin?: boolean; json?: boolean }) => {
      const password = await readNewPassword(o.passwordStdin ?? false);
      await run(async (c) => {
        const u = await c.addUser(name, password, o.role);
        print(o.json ?? false, { user: u }, () => `user ${u.name} created with role ${u.role}`);
      });
    });
  user.command('list')
    .description('every account and its role')
    .option('--json', 'print as JSON: {"users": [...]}')
    .action((o: { json?: boolean }) => run(async (c) => {
      const users = await c.listUsers();
      print(o.json ?? false, { users }, () => (users.length ? userRows(users) : 'no accounts yet: rackcast user add <name> --role admin'));
    }));
  user.command('passwd <name>')
    .description("set an account's password (and, with --role, its role)")
    .option('-r, --role <role>', `also change the role: ${ROLES.join(', ')}`, parseRole)
    .option('--password-stdin', 'read the password from the first line of stdin instead of asking')
    .option('--json', 'print the account as JSON')
    .action(async (name: string, o: { role?: Role; passwordStdin?: boolean; json?: boolean }) => {
      const password = await readNewPassword(o.passwordStdin ?? false);
      await run(async (c) => {
        const u = await c.updateUser(name, { password, ...(o.role ? { role: o.role } : {}) });
        print(o.json ?? false, { user: u }, () => `user ${u.name}: password changed; role ${u.role}`);
      });
    });
  user.command('role <name> <role>')
    .description("change an account's role")
    .option('--json', 'print the account as JSON')
    .action((name: string, role: string, o: { json?: boolean }) => run(async (c) => {
      const u = await c.updateUser(name, { role: parseRole(role) });
      print(o.json ?? false, { user: u }, () => `user ${u.name}: role ${u.role}`);
    }));
  user.command('rm <name>')
    .description('remove an account (not the last admin); its API tokens stop working')
    .option('--json', 'print the removed account as JSON')
    .action((name: string, o: { json?: boolean }) => run(async (c) => {
      const u = await c.removeUser(name);
      print(o.json ?? false, { user: u }, () => `user ${u.name} removed`);
    }));

  const token = program.command('token').description('API tokens for scripts (Authorization: Bearer …, or RACKCAST_TOKEN for this CLI)');
  token.command('create <name>')
    .description('make a token; its secret is printed once and cannot be shown again')
    .requiredOption('-r, --role <role>', `one of ${ROLES.join(', ')} (at most your own)`, parseRole)
    .option('--json', 'print {"token": {...}, "secret": "..."} as JSON')
    .action((name: string, o: { role: Role; json?: boolean }) => run(async (c) => {
      const made = await c.createToken(name, o.role);
      print(o.json ?? false, made, () => `token ${made.token.name} (${made.token.id}, ${made.token.role}); the secret, shown only now:\n${made.secret}`);
    }));
  token.command('list')
    .description('every token (never their secrets)')
    .option('--json', 'print as JSON: {"tokens": [...]}')
    .action((o: { json?: boolean }) => run(async (c) => {
      const tokens = await c.listTokens();
      print(o.json ?? false, { tokens }, () => (tokens.length ? tokenRows(tokens) : 'no API tokens'));
    }));
  token.command('rm <id>')
    .description('revoke a token at once')
    .option('--json', 'print the revoked token as JSON')
    .action((id: string, o: { json?: boolean }) => run(async (c) => {
      const t = await c.removeToken(id);
      print(o.json ?? false, { token: t }, () => `token ${t.name} (${t.id}) revoked`);
    }));

  program.command('audit')
    .description('who did what: changes, logins and refusals, newest first')
    .option('-n, --limit <n>', 'entries to show (1-1000)', parseLimit, 50)
    .option('--json', 'print as JSON: {"entries": [...]}')
    .action((o: { limit: number; json?: boolean }) => run(async (c) => {
      const entries = await c.audit(o.limit);
      print(o.json ?? false, { entries }, () => (entries.length ? auditRows(entries) : 'the audit log is empty'));
    }));
}
