import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/** scrypt cost: N=2^15, r=8, p=1 (about 50 ms and 32 MiB per hash); stored with each hash so it can be raised later. */
export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** A stored password: "scrypt$N$r$p$<salt base64>$<key base64>". */
export type PasswordHash = string;

/** scrypt needs 128·N·r bytes; node's default maxmem (32 MiB) is exactly that at N=2^15, r=8, and refuses it. */
function maxmem(N: number, r: number): number {
  return 128 * N * r * 2;
}

function derive(password: string, salt: Buffer, options: ScryptOptions, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: { N: number; r: number; p: number } = SCRYPT_PARAMS): Promise<PasswordHash> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, { ...params, maxmem: maxmem(params.N, params.r) }, KEY_BYTES);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches `stored`; a malformed stored hash never matches. Compared in constant time. */
export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const parts = stored.split('$');
  const [kind, n, r, p, saltText, keyText] = parts;
  if (parts.length !== 6 || kind !== 'scrypt' || saltText === undefined || keyText === undefined) return false;
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (![params.N, params.r, params.p].every((x) => Number.isSafeInteger(x) && x > 0)) return false;
  const want = Buffer.from(keyText, 'base64');
  if (want.length === 0) return false;
  const got = await derive(password, Buffer.from(saltText, 'base64'), { ...params, maxmem: maxmem(params.N, params.r) }, want.length);
  return timingSafeEqual(got, want);
}

/** The scrypt parameters a stored hash was made with (to rehash on login when they are below the current ones). */
export function hashParams(stored: PasswordHash): { N: number; r: number; p: number } | null {
  const [kind, n, r, p] = stored.split('$');
  return kind === 'scrypt' ? { N: Number(n), r: Number(r), p: Number(p) } : null;
}
