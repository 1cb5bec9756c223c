import { RackcastError } from '../errors.js';

/** Which version of an image: a number, the newest, or the newest at or before a time. */
export type VersionSelector = number | 'latest' | { readonly at: Date };

export interface ImageRef {
  readonly name: string;
  readonly version: VersionSelector;
}

/**
 * Image names become keys and parts of file names and URLs, so they are restricted to a safe
 * alphabet: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64.
 * That rules out path separators, '..', '@' (the version separator) and whitespace.
 */
const IMAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Throws RC_ERR_STORE_BAD_NAME unless `name` is a valid image name. */
export function validateImageName(name: string): string {
  if (!IMAGE_NAME.test(name) || name.includes('..')) {
    throw new RackcastError('RC_ERR_STORE_BAD_NAME',
      `image name ${JSON.stringify(name)} is not allowed: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      { name });
  }
  return name;
}

/** Parses a version selector: "3", "latest", or an ISO time for `--at`. */
export function parseVersionSelector(text: string): VersionSelector {
  if (text === 'latest') return 'latest';
  if (/^[1-9][0-9]{0,9}$/.test(text)) return Number(text);
  throw new RackcastError('RC_ERR_STORE_BAD_VERSION', `version ${JSON.stringify(text)} is not a version number or "latest"`, { version: text });
}

/** Parses a time given to `--at`: ISO 8601 (2026-11-22T10:00:00Z) or anything Date accepts unambiguously. */
export function parseTimeSelector(text: string): VersionSelector {
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) {
    throw new RackcastError('RC_ERR_STORE_BAD_VERSION', `time ${JSON.stringify(text)} is not a date; use ISO 8601 such as 2026-11-22T10:00:00Z`, { at: text });
  }
  return { at };
}

/** Parses "name", "name@3" or "name@latest". */
export function parseImageRef(text: string): ImageRef {
  const at = text.lastIndexOf('@');
  if (at < 0) return { name: validateImageName(text), version: 'latest' };
  return { name: validateImageName(text.slice(0, at)), version: parseVersionSelector(text.slice(at + 1)) };
}

/** Formats a selector for messages: "3", "latest", "at 2026-…". */
export function describeSelector(selector: VersionSelector): string {
  if (typeof selector === 'number' || selector === 'latest') return String(selector);
  return `at ${selector.at.toISOString()}`;
}
