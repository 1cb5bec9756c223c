/** Why a requested file name is refused before the file system is asked anything. */
export type RequestPathRefusal = 'path traversal' | 'character not allowed' | 'empty path';

export type RequestPath =
  | { readonly ok: true; readonly segments: readonly string[] }
  | { readonly ok: false; readonly reason: RequestPathRefusal };

/** Printable ASCII except the backslash: iPXE and firmware ask for plain names. */
function allowed(c: number): boolean {
  return c >= 0x20 && c <= 0x7e && c !== 0x5c;
}

/**
 * Splits a requested file name into path segments below the root. Leading and doubled
 * slashes and "." segments are dropped, so "/undionly.kpxe" is the root's undionly.kpxe (as
 * tftpd-hpa --secure and dnsmasq treat it) and an absolute path can only name something
 * inside the root. Any ".." segment is refused outright: no boot client needs one, and a
 * request that has one is probing. Backslashes are refused rather than guessed at (Windows
 * clients use them as separators). Symbolic links are the file source's business.
 */
export function parseRequestPath(name: string): RequestPath {
  for (let i = 0; i < name.length; i++) {
    if (!allowed(name.charCodeAt(i))) return { ok: false, reason: 'character not allowed' };
  }
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { ok: false, reason: 'path traversal' };
  if (segments.length === 0) return { ok: false, reason: 'empty path' };
  return { ok: true, segments };
}
