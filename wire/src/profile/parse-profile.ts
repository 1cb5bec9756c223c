import { WireError } from '../wire-error.js';
import {
  asObject, choiceField, countField, flagField, invalid, listField, objectField, optionalCountField, optionalFlagField, textField,
  type JsonObject,
} from './json-fields.js';
import {
  PROFILE_LIMITS, PROFILE_SCHEMA_VERSION,
  type CpuProfile, type DiskProfile, type FirmwareMode, type FirmwareProfile, type MachineProfile, type NicProfile, type SystemProfile,
} from './machine-profile.js';

const TEXT = PROFILE_LIMITS.text;
const FIRMWARE_MODES: readonly FirmwareMode[] = ['uefi', 'bios', 'unknown'];
/** Colon form of a link-layer address: 6 octets for Ethernet, up to 20 for InfiniBand. */
const MAC_PATTERN = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5,19}$/;
const ADDRESS_PATTERN = /^[0-9a-f:.]{2,45}\/\d{1,3}$/;
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(?:Z|[+-]\d{2}:\d{2})$/;
/** Largest sector size the kernel supports is the page size; 64 KiB covers every platform. */
const MAX_BLOCK_SIZE = 65536;
/** 10 Tbit/s in Mbit/s: far above any NIC, far below anything that would overflow. */
const MAX_SPEED_MBPS = 10_000_000;
const MAX_CPUS = 1_000_000;

/** A MAC in colon form, any case; returns it lowercase. Throws naming `field`. */
export function parseMacText(value: string, field: string): string {
  const mac = value.toLowerCase();
  if (!MAC_PATTERN.test(mac)) throw invalid(field, 'expected a hardware address such as 52:54:00:12:34:56');
  return mac;
}

function system(obj: JsonObject, field: string): SystemProfile {
  const t = (key: string): string => textField(obj, key, `${field}.${key}`, TEXT);
  return {
    uuid: t('uuid').toLowerCase(), serial: t('serial'), vendor: t('vendor'), model: t('model'),
    boardVendor: t('boardVendor'), boardModel: t('boardModel'), boardSerial: t('boardSerial'),
    chassisType: t('chassisType'), chassisSerial: t('chassisSerial'), assetTag: t('assetTag'),
  };
}

function firmware(obj: JsonObject, field: string): FirmwareProfile {
  return {
    mode: choiceField(obj, 'mode', `${field}.mode`, FIRMWARE_MODES),
    vendor: textField(obj, 'vendor', `${field}.vendor`, TEXT),
    version: textField(obj, 'version', `${field}.version`, TEXT),
    date: textField(obj, 'date', `${field}.date`, TEXT),
    secureBoot: optionalFlagField(obj, 'secureBoot', `${field}.secureBoot`),
  };
}

function cpu(obj: JsonObject, field: string): CpuProfile {
  const n = (key: string): number => countField(obj, key, `${field}.${key}`, MAX_CPUS);
  return {
    vendor: textField(obj, 'vendor', `${field}.vendor`, TEXT),
    model: textField(obj, 'model', `${field}.model`, TEXT),
    architecture: textField(obj, 'architecture', `${field}.architecture`, TEXT),
    sockets: n('sockets'), cores: n('cores'), threads: n('threads'), mhz: n('mhz'),
  };
}

function disk(value: unknown, field: string): DiskProfile {
  const obj = asObject(value, field);
  const t = (key: string): string => textField(obj, key, `${field}.${key}`, TEXT);
  const name = t('name');
  if (name === '') throw invalid(`${field}.name`, 'empty');
  return {
    name,
    sizeBytes: countField(obj, 'sizeBytes', `${field}.sizeBytes`),
    logicalBlockSize: countField(obj, 'logicalBlockSize', `${field}.logicalBlockSize`, MAX_BLOCK_SIZE),
    physicalBlockSize: countField(obj, 'physicalBlockSize', `${field}.physicalBlockSize`, MAX_BLOCK_SIZE),
    rotational: optionalFlagField(obj, 'rotational', `${field}.rotational`),
    removable: flagField(obj, 'removable', `${field}.removable`),
    readOnly: flagField(obj, 'readOnly', `${field}.readOnly`),
    model: t('model'), vendor: t('vendor'), serial: t('serial'), wwn: t('wwn'), transport: t('transport'),
    sysfsPath: textField(obj, 'sysfsPath', `${field}.sysfsPath`, PROFILE_LIMITS.path),
  };
}

function address(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ADDRESS_PATTERN.test(value.toLowerCase())) throw invalid(field, 'expected an address with prefix length such as 10.0.0.5/24');
  return value.toLowerCase();
}

function nic(value: unknown, field: string): NicProfile {
  const obj = asObject(value, field);
  const name = textField(obj, 'name', `${field}.name`, TEXT);
  if (name === '') throw invalid(`${field}.name`, 'empty');
  const mac = textField(obj, 'mac', `${field}.mac`, TEXT);
  return {
    name,
    mac: mac === '' ? '' : parseMacText(mac, `${field}.mac`),
    driver: textField(obj, 'driver', `${field}.driver`, TEXT),
    speedMbps: optionalCountField(obj, 'speedMbps', `${field}.speedMbps`, MAX_SPEED_MBPS),
    carrier: optionalFlagField(obj, 'carrier', `${field}.carrier`),
    operstate: textField(obj, 'operstate', `${field}.operstate`, TEXT),
    mtu: countField(obj, 'mtu', `${field}.mtu`, 0x7fffffff),
    sysfsPath: textField(obj, 'sysfsPath', `${field}.sysfsPath`, PROFILE_LIMITS.path),
    addresses: listField(obj, 'addresses', `${field}.addresses`, PROFILE_LIMITS.addresses, address),
  };
}

function problem(value: unknown, field: string): string {
  return textField({ p: value }, 'p', field, PROFILE_LIMITS.problem);
}

function timestamp(obj: JsonObject, key: string): string {
  const value = textField(obj, key, key, 40);
  if (!TIMESTAMP_PATTERN.test(value) || Number.isNaN(Date.parse(value))) throw invalid(key, 'expected an ISO 8601 time such as 2025-01-31T10:00:00.000Z');
  return value;
}

/**
 * Checks a parsed JSON value against the profile schema and returns a typed copy holding only
 * the schema's fields (unknown fields are dropped, so what is stored stays bounded). MACs, UUIDs
 * and addresses come back lowercase. Throws a WireError naming the first field at fault:
 * RC_ERR_WIRE_UNSUPPORTED_VERSION for another `schema`, RC_ERR_WIRE_INVALID for the rest.
 */
export function parseMachineProfile(value: unknown): MachineProfile {
  const obj = asObject(value, 'profile');
  if (obj['schema'] !== PROFILE_SCHEMA_VERSION) {
    throw new WireError('RC_ERR_WIRE_UNSUPPORTED_VERSION', 'schema', `profile schema ${JSON.stringify(obj['schema'] ?? null)?.slice(0, 20)} is not ${PROFILE_SCHEMA_VERSION}`);
  }
  return {
    schema: PROFILE_SCHEMA_VERSION,
    detectedAt: timestamp(obj, 'detectedAt'),
    system: system(objectField(obj, 'system', 'system'), 'system'),
    firmware: firmware(objectField(obj, 'firmware', 'firmware'), 'firmware'),
    cpu: cpu(objectField(obj, 'cpu', 'cpu'), 'cpu'),
    memory: { totalBytes: countField(objectField(obj, 'memory', 'memory'), 'totalBytes', 'memory.totalBytes') },
    disks: listField(obj, 'disks', 'disks', PROFILE_LIMITS.disks, disk),
    nics: listField(obj, 'nics', 'nics', PROFILE_LIMITS.nics, nic),
    problems: listField(obj, 'problems', 'problems', PROFILE_LIMITS.problems, problem),
  };
}
