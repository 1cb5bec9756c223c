import { createHash, randomBytes } from 'node:crypto';

/**
 * One-time tokens and agent credentials are bearer secrets: 24 random bytes, base64url (safe on
 * a kernel command line: no spaces, quotes or '='). Only their SHA-256 is stored, so a copy of
 * the store does not let anyone register as a machine.
 */
export function newSecret(): string {
  return randomBytes(24).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
