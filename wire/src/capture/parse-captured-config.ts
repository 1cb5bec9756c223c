import { WireError } from '../wire-error.js';
import {
  asObject, choiceField, countField, flagField, invalid, listField, objectField, optionalCountField, textField, type JsonObject,
} from '../profile/json-fields.js';
import { parseMacText } from '../profile/parse-profile.js';
import type { FirmwareMode } from '../profile/machine-profile.js';
import {
  CAPTURED_CONFIG_LIMITS as L, CAPTURED_CONFIG_SCHEMA_VERSION,
  type CapturedBootEntries, type CapturedBootEntry, type CapturedConfig, type CapturedDisk, type CapturedFilesystem, type CapturedInterface,
  type CapturedPartition, type CapturedPartitionTable, type NetworkSource, type UsedBlockMethod,
} from './captured-config.js';

const FIRMWARE_MODES: readonly FirmwareMode[] = ['uefi', 'bios', 'unknown'];
const METHODS: readonly UsedBlockMethod[] = ['partclone', 'dumpe2fs', 'zero-scan'];
const SOURCES: readonly NetworkSource[] = ['ifupdown', 'systemd-networkd', 'netplan'];
const LABELS: readonly ('gpt' | 'dos')[] = ['gpt', 'dos'];
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})$/;
/** An IPv4 or IPv6 address, optionally with a prefix length. */
const IP_PATTERN = /^[0-9a-f:.]{2,45}(?:\/\d{1,3})?$/;
const BOOT_NUMBER = /^[0-9A-F]{4}$/;

const text = (obj: JsonObject, key: string, field: string, max: number = L.text): string => textField(obj, key, `${field}.${key}`, max);

function ip(value: unknown, field: string): string {
  if (typeof value !== 'string' || !IP_PATTERN.test(value.toLowerCase())) throw invalid(field, 'expected an IP address such as 10.0.0.5 or 10.0.0.5/24');
  return value.toLowerCase();
}

function partition(value: unknown, field: string): CapturedPartition {
  const obj = asObject(value, field);
  return {
    number: countField(obj, 'number', `${field}.number`, 0xffff), start: countField(obj, 'start', `${field}.start`), size: countField(obj, 'size', `${field}.size`),
    type: text(obj, 'type', field), uuid: text(obj, 'uuid', field), name: text(obj, 'name', field), attrs: text(obj, 'attrs', field),
    bootable: flagField(obj, 'bootable', `${field}.bootable`),
  };
}

function partitionTable(obj: JsonObject, field: string): CapturedPartitionTable | null {
  if (obj[field] === null) return null;
  const t = objectField(obj, field, field);
  return {
    label: choiceField(t, 'label', `${field}.label`, LABELS), id: text(t, 'id', field),
    sectorSize: countField(t, 'sectorSize', `${field}.sectorSize`, 65536),
    firstLba: optionalCountField(t, 'firstLba', `${field}.firstLba`, Number.MAX_SAFE_INTEGER),
    lastLba: optionalCountField(t, 'lastLba', `${field}.lastLba`, Number.MAX_SAFE_INTEGER),
    partitions: listField(t, 'partitions', `${field}.partitions`, L.partitions, partition),
  };
}

function filesystem(value: unknown, field: string): CapturedFilesystem {
  const obj = asObject(value, field);
  return {
    partition: optionalCountField(obj, 'partition', `${field}.partition`, 0xffff),
    offset: countField(obj, 'offset', `${field}.offset`), size: countField(obj, 'size', `${field}.size`),
    type: text(obj, 'type', field), uuid: text(obj, 'uuid', field), label: text(obj, 'label', field),
    method: choiceField(obj, 'method', `${field}.method`, METHODS), usedBytes: countField(obj, 'usedBytes', `${field}.usedBytes`),
  };
}

function networkInterface(value: unknown, field: string): CapturedInterface {
  const obj = asObject(value, field);
  const name = text(obj, 'name', field);
  if (name === '') throw invalid(`${field}.name`, 'empty');
  const mac = text(obj, 'mac', field);
  const ips = (key: string): string[] => listField(obj, key, `${field}.${key}`, L.addresses, ip);
  return {
    name, mac: mac === '' ? '' : parseMacText(mac, `${field}.mac`), source: choiceField(obj, 'source', `${field}.source`, SOURCES),
    dhcp4: flagField(obj, 'dhcp4', `${field}.dhcp4`), dhcp6: flagField(obj, 'dhcp6', `${field}.dhcp6`),
    addresses: ips('addresses'), gateways: ips('gateways'), dns: ips('dns'),
  };
}

function bootNumber(value: unknown, field: string): string {
  if (typeof value !== 'string' || !BOOT_NUMBER.test(value)) throw invalid(field, 'expected four uppercase hex digits such as 0003');
  return value;
}

function bootEntry(value: unknown, field: string): CapturedBootEntry {
  const obj = asObject(value, field);
  return { number: bootNumber(obj['number'], `${field}.number`), label: text(obj, 'label', field), active: flagField(obj, 'active', `${field}.active`), path: text(obj, 'path', field, L.path) };
}

function bootEntries(obj: JsonObject): CapturedBootEntries | null {
  if (obj['bootEntries'] === null) return null;
  const b = objectField(obj, 'bootEntries', 'bootEntries');
  const current = text(b, 'current', 'bootEntries');
  return {
    current: current === '' ? '' : bootNumber(current, 'bootEntries.current'),
    order: listField(b, 'order', 'bootEntries.order', L.bootEntries, bootNumber),
    entries: listField(b, 'entries', 'bootEntries.entries', L.bootEntries, bootEntry),
  };
}

function disk(obj: JsonObject): CapturedDisk {
  const d = objectField(obj, 'disk', 'disk');
  return { path: text(d, 'path', 'disk', L.path), sizeBytes: countField(d, 'sizeBytes', 'disk.sizeBytes') };
}

function timestamp(obj: JsonObject, key: string): string {
  const value = textField(obj, key, key, 40);
  if (!TIMESTAMP_PATTERN.test(value) || Number.isNaN(Date.parse(value))) throw invalid(key, 'expected an ISO 8601 time such as 2025-01-31T10:00:00.000Z');
  return value;
}

/**
 * Checks a parsed JSON value against the captured-configuration schema and returns a typed copy
 * holding only the schema's fields (unknown fields are dropped, so what is stored stays bounded).
 * Throws a WireError naming the first field at fault: RC_ERR_WIRE_UNSUPPORTED_VERSION for
 * another `schema`, RC_ERR_WIRE_INVALID for the rest.
 */
export function parseCapturedConfig(value: unknown): CapturedConfig {
  const obj = asObject(value, 'config');
  if (obj['schema'] !== CAPTURED_CONFIG_SCHEMA_VERSION) {
    throw new WireError('RC_ERR_WIRE_UNSUPPORTED_VERSION', 'schema', `captured configuration schema ${JSON.stringify(obj['schema'] ?? null)?.slice(0, 20)} is not ${CAPTURED_CONFIG_SCHEMA_VERSION}`);
  }
  return {
    schema: CAPTURED_CONFIG_SCHEMA_VERSION,
    capturedAt: timestamp(obj, 'capturedAt'),
    hostname: textField(obj, 'hostname', 'hostname', L.text),
    firmwareMode: choiceField(obj, 'firmwareMode', 'firmwareMode', FIRMWARE_MODES),
    disk: disk(obj),
    partitionTable: partitionTable(obj, 'partitionTable'),
    filesystems: listField(obj, 'filesystems', 'filesystems', L.filesystems, filesystem),
    interfaces: listField(obj, 'interfaces', 'interfaces', L.interfaces, networkInterface),
    bootEntries: bootEntries(obj),
    problems: listField(obj, 'problems', 'problems', L.problems, (v, f) => textField({ p: v }, 'p', f, L.problem)),
  };
}
