import { createHash, randomBytes } from 'node:crypto';
import { RackcastError } from '../errors.js';
import type { StateArea } from '../store/index.js';
import { hashParams, hashPassword, SCRYPT_PARAMS, verifyPassword, type PasswordHash } from './password-hash.js';
import { roleAtLeast, type Principal, type Role } from './roles.js';

/** An account as stored: the password only as its scrypt hash. */
export interface UserRecord {
  readonly name: string;
  readonly role: Role;
  readonly passwordHash: PasswordHash;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An account as the API shows it. */
export interface UserView {
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An API token as the API shows it (never its secret). */
export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  /** The user (or "local-cli") who made it; the token never acts above that account's current role. */
  readonly createdBy: string;
  readonly createdAt: string;
}

interface TokenRecord extends TokenView {
  /** SHA-256 of the secret: the secret is 32 random bytes, so a fast hash is enough. */
  readonly hash: string;
}

/** Where accounts live (structurally `store.stateArea(...)`). */
export interface AccountAreas {
  stateArea<V>(name: string): StateArea<V>;
}

export const MIN_PASSWORD_LENGTH = 10;
const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const TOKEN_NAME = /^[\x21-\x7e][\x20-\x7e]{0,63}$/;
const TOKEN_PREFIX = 'rct_';
/** The name the server machine's own CLI acts under. */
export const LOCAL_ACTOR = 'local-cli';

export function checkPassword(password: string): void {
  if ([...password].length < MIN_PASSWORD_LENGTH) {
    throw new RackcastError('RC_ERR_BAD_REQUEST', `the password is too short: use at least ${MIN_PASSWORD_LENGTH} characters (a few words make a good one)`);
  }
  if (password.length > 1024) throw new RackcastError('RC_ERR_BAD_REQUEST', 'the password is too long: at most 1024 characters');
}

function checkUserName(name: string): string {
  if (!USER_NAME.test(name) || name === LOCAL_ACTOR) {
    throw new RackcastError('RC_ERR_BAD_REQUEST', `user name ${JSON.stringify(name.slice(0, 80))} is not allowed: 1-64 letters, digits, '.', '_', '@' or '-', starting with a letter or digit (and not "${LOCAL_ACTOR}")`);
  }
  return name;
}

export function hashTokenSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function view(user: UserRecord): UserView {
  return { name: user.name, role: user.role, createdAt: user.createdAt, updatedAt: user.updatedAt };
}

function tokenView({ hash: _hash, ...rest }: TokenRecord): TokenView {
  return rest;
}

/**
 * Accounts and API tokens in the store's LevelDB, mirrored in memory (a handful of records, read
 * on every request). Every write goes to LevelDB before the mirror changes.
 */
export class AccountStore {
  readonly #users: StateArea<UserRecord>;
  readonly #tokens: StateArea<TokenRecord>;
  readonly #userByName = new Map<string, UserRecord>();
  readonly #tokenByHash = new Map<string, TokenRecord>();
  /** Checked against when the user name is unknown, so a wrong name costs as long as a wrong password. */
  #decoy: Promise<PasswordHash> | null = null;

  private constructor(areas: AccountAreas) {
    this.#users = areas.stateArea<UserRecord>('account-user');
    this.#tokens = areas.stateArea<TokenRecord>('account-token');
  }

  static async open(areas: AccountAreas): Promise<AccountStore> {
    const accounts = new AccountStore(areas);
    for (const user of await accounts.#users.values()) accounts.#userByName.set(user.name, user);
    for (const token of await accounts.#tokens.values()) accounts.#tokenByHash.set(token.hash, token);
    return accounts;
  }

  listUsers(): UserView[] {
    return [...this.#userByName.values()].map(view).sort((a, b) => a.name.localeCompare(b.name));
  }

  user(name: string): UserView | undefined {
    const user = this.#userByName.get(name);
    return user ? view(user) : undefined;
  }

  async addUser(name: string, password: string, role: Role): Promise<UserView> {
    checkUserName(name);
    checkPassword(password);
    if (this.#userByName.has(name)) throw new RackcastError('RC_ERR_USER_EXISTS', `user ${name} exists already; change it with \`rackcast user passwd\` or PUT /api/users/${name}`);
    const now = new Date().toISOString();
    const user: UserRecord = { name, role, passwordHash: await hashPassword(password), createdAt: now, updatedAt: now };
    // Checked again after the slow hash: two requests for one name may have raced.
    if (this.#userByName.has(name)) throw new RackcastError('RC_ERR_USER_EXISTS', `user ${name} exists already`);
    this.#userByName.set(name, user);
    await this.#users.put(name, user).catch((err: unknown) => {
      this.#userByName.delete(name);
      throw err;
    });
    return view(user);
  }

  async updateUser(name: string, change: { password?: string; role?: Role }): Promise<UserView> {
    const current = this.#existing(name);
    if (change.password !== undefined) checkPassword(change.password);
    if (change.role !== undefined && current.role === 'admin' && change.role !== 'admin') this.#keepAnAdmin(name);
    const passwordHash = change.password !== undefined ? await hashPassword(change.password) : current.passwordHash;
    const latest = this.#existing(name);
    if (change.role !== undefined && latest.role === 'admin' && change.role !== 'admin') this.#keepAnAdmin(name);
    const user: UserRecord = { ...latest, role: change.role ?? latest.role, passwordHash, updatedAt: new Date().toISOString() };
    // The mirror changes first so a concurrent request sees it; it is put back if the write fails.
    this.#userByName.set(name, user);
    await this.#users.put(name, user).catch((err: unknown) => {
      this.#userByName.set(name, latest);
      throw err;
    });
    return view(user);
  }

  async removeUser(name: string): Promise<UserView> {
    const user = this.#existing(name);
    if (user.role === 'admin') this.#keepAnAdmin(name);
    this.#userByName.delete(name);
    await this.#users.del(name).catch((err: unknown) => {
      this.#userByName.set(name, user);
      throw err;
    });
    return view(user);
  }

  /** The account for a name and password, or null; takes about as long whether or not the name exists. */
  async checkLogin(name: string, password: string): Promise<UserView | null> {
    const user = this.#userByName.get(name);
    if (!user) {
      this.#decoy ??= hashPassword(randomBytes(16).toString('hex'));
      await verifyPassword(password, await this.#decoy);
      return null;
    }
    if (!(await verifyPassword(password, user.passwordHash))) return null;
    const params = hashParams(user.passwordHash);
    if (params && params.N < SCRYPT_PARAMS.N) await this.updateUser(name, { password }).catch(() => undefined);
    return view(user);
  }

  /** Makes a token for `creator`; its role may not exceed the creator's. The secret is returned once and not kept. */
  async createToken(creator: Principal, name: string, role: Role): Promise<{ token: TokenView; secret: string }> {
    if (!TOKEN_NAME.test(name)) throw new RackcastError('RC_ERR_BAD_REQUEST', 'a token name is 1-64 printable ASCII characters, e.g. "ci-deploys"');
    if (!roleAtLeast(creator.role, role)) {
      throw new RackcastError('RC_ERR_FORBIDDEN', `a token cannot have more rights than its creator: you hold ${creator.role}, the token asks for ${role}`, { needed: role, held: creator.role });
    }
    const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const record: TokenRecord = {
      id: randomBytes(8).toString('hex'), name, role, createdBy: creator.account,
      createdAt: new Date().toISOString(), hash: hashTokenSecret(secret),
    };
    await this.#tokens.put(record.id, record);
    this.#tokenByHash.set(record.hash, record);
    return { token: tokenView(record), secret };
  }

  listTokens(): TokenView[] {
    return [...this.#tokenByHash.values()].map(tokenView).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async removeToken(id: string): Promise<TokenView> {
    const record = [...this.#tokenByHash.values()].find((t) => t.id === id);
    if (!record) throw new RackcastError('RC_ERR_TOKEN_NOT_FOUND', `no API token with id ${JSON.stringify(id.slice(0, 40))}; \`rackcast token list\` shows them`);
    await this.#tokens.del(record.id);
    this.#tokenByHash.delete(record.hash);
    return tokenView(record);
  }

  /**
   * The principal for a token secret, or null. A token acts with the lower of its own role and
   * its creator's current one, and stops working when its creator's account is removed.
   */
  principalForToken(secret: string): Principal | null {
    if (!secret.startsWith(TOKEN_PREFIX)) return null;
    const record = this.#tokenByHash.get(hashTokenSecret(secret));
    if (!record) return null;
    const creatorRole = record.createdBy === LOCAL_ACTOR ? 'admin' : this.#userByName.get(record.createdBy)?.role;
    if (creatorRole === undefined) return null;
    const role = roleAtLeast(creatorRole, record.role) ? record.role : creatorRole;
    return { name: `token:${record.name}`, role, via: 'token', account: record.createdBy };
  }

  /** The principal of a logged-in user (their role as it is now), or null once the account is gone. */
  principalForUser(name: string): Principal | null {
    const user = this.#userByName.get(name);
    return user ? { name: user.name, role: user.role, via: 'session', account: user.name } : null;
  }

  #existing(name: string): UserRecord {
    const user = this.#userByName.get(name);
    if (!user) throw new RackcastError('RC_ERR_USER_NOT_FOUND', `no user ${JSON.stringify(name.slice(0, 80))}; \`rackcast user list\` shows them`);
    return user;
  }

  #keepAnAdmin(leaving: string): void {
    const others = [...this.#userByName.values()].filter((u) => u.role === 'admin' && u.name !== leaving);
    if (others.length === 0) {
      throw new RackcastError('RC_ERR_LAST_ADMIN', `${leaving} is the last admin: make another user admin first (rackcast user add <name> --role admin)`);
    }
  }
}

