import { WireError } from '../wire-error.js';

/**
 * Readers for fields of parsed JSON. Each checks one field and throws RC_ERR_WIRE_INVALID
 * naming it by path ("disks[2].serial"), so a bad upload is refused with a message that says
 * exactly what was wrong. Only own properties are read: "__proto__" or "toString" in the input
 * are never mistaken for fields.
 */

/** A JSON object, read field by field. */
export type JsonObject = Readonly<Record<string, unknown>>;

export function invalid(field: string, message: string): WireError {
  return new WireError('RC_ERR_WIRE_INVALID', field, message);
}

/** The value as an object (not null, not an array), or throws. */
export function asObject(value: unknown, field: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(field, 'expected an object');
  return value as JsonObject;
}

function own(obj: JsonObject, key: string, field: string): unknown {
  if (!Object.hasOwn(obj, key)) throw invalid(field, 'missing');
  return obj[key];
}

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A string field of at most `max` characters without control characters. */
export function textField(obj: JsonObject, key: string, field: string, max: number): string {
  const value = own(obj, key, field);
  if (typeof value !== 'string') throw invalid(field, 'expected a string');
  if (value.length > max) throw invalid(field, `longer than ${max} characters`);
  if (hasControlCharacter(value)) throw invalid(field, 'contains a control character');
  return value;
}

/** A non-negative integer field no larger than `max`. */
export function countField(obj: JsonObject, key: string, field: string, max: number = Number.MAX_SAFE_INTEGER): number {
  const value = own(obj, key, field);
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw invalid(field, 'expected a non-negative integer');
  if (value > max) throw invalid(field, `larger than ${max}`);
  return value === 0 ? 0 : value; // -0 becomes 0: it would not survive a JSON round trip
}

/** Like countField, or null. */
export function optionalCountField(obj: JsonObject, key: string, field: string, max: number): number | null {
  return own(obj, key, field) === null ? null : countField(obj, key, field, max);
}

export function flagField(obj: JsonObject, key: string, field: string): boolean {
  const value = own(obj, key, field);
  if (typeof value !== 'boolean') throw invalid(field, 'expected true or false');
  return value;
}

export function optionalFlagField(obj: JsonObject, key: string, field: string): boolean | null {
  return own(obj, key, field) === null ? null : flagField(obj, key, field);
}

/** One of a fixed set of strings. */
export function choiceField<T extends string>(obj: JsonObject, key: string, field: string, choices: readonly T[]): T {
  const value = own(obj, key, field);
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) throw invalid(field, `expected one of ${choices.join(', ')}`);
  return value as T;
}

/** An array field of at most `max` items, each read by `item` with its index in the path. */
export function listField<T>(obj: JsonObject, key: string, field: string, max: number, item: (value: unknown, field: string) => T): T[] {
  const value = own(obj, key, field);
  if (!Array.isArray(value)) throw invalid(field, 'expected an array');
  if (value.length > max) throw invalid(field, `more than ${max} items`);
  return value.map((v: unknown, i) => item(v, `${field}[${i}]`));
}

/** An object field. */
export function objectField(obj: JsonObject, key: string, field: string): JsonObject {
  return asObject(own(obj, key, field), field);
}
