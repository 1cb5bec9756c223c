import { WireError } from '../wire-error.js';
import {
  asObject, choiceField, countField, flagField, invalid, listField, objectField, textField, type JsonObject,
} from '../profile/json-fields.js';
import { parseMacText } from '../profile/parse-profile.js';
import {
  DEPLOY_PLAN_SCHEMA_VERSION,
  type DeployPlan, type DiskIdentity, type LayoutFit, type NicConfig, type Personalisation, type PlannedImage,
} from './deploy-plan.js';

/**
 * The one gate a deploy plan passes before the agent acts on it (it arrives inside a machine
 * job) or the server stores it. Throws RC_ERR_WIRE_INVALID naming the field ("personalise.nics[0].mac").
 */

/** Bounds: a plan names one target, the machine's other disks and its NICs (profile limits). */
const MAX_DISKS = 128;
const MAX_NICS = 64;
const MAX_DNS = 8;
const TEXT = 256;
/** 128 partitions is the usual GPT entry count; MBR logical partitions stay far below. */
const MAX_PARTITION = 128;
/** RFC 1123 host name: dot-separated labels of letters, digits and hyphens, 253 characters at most. */
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
const ADDRESS = /^[0-9a-f:.]{2,45}(?:\/\d{1,3})?$/i;

function disk(value: unknown, field: string): DiskIdentity {
  const obj = asObject(value, field);
  return {
    serial: textField(obj, 'serial', `${field}.serial`, TEXT), wwn: textField(obj, 'wwn', `${field}.wwn`, TEXT),
    sizeBytes: countField(obj, 'sizeBytes', `${field}.sizeBytes`), model: textField(obj, 'model', `${field}.model`, TEXT),
    nameHint: textField(obj, 'nameHint', `${field}.nameHint`, TEXT),
  };
}

function image(obj: JsonObject): PlannedImage {
  const field = 'image';
  const name = textField(obj, 'name', `${field}.name`, TEXT);
  if (name === '') throw invalid(`${field}.name`, 'empty');
  const diskBytes = countField(obj, 'diskBytes', `${field}.diskBytes`);
  const usedEndBytes = countField(obj, 'usedEndBytes', `${field}.usedEndBytes`);
  if (usedEndBytes > diskBytes) throw invalid(`${field}.usedEndBytes`, 'past the end of the image disk');
  return {
    name, version: countField(obj, 'version', `${field}.version`), diskBytes, usedEndBytes,
    table: choiceField(obj, 'table', `${field}.table`, ['gpt', 'mbr', 'none'] as const),
  };
}

function partitionNumber(obj: JsonObject, key: string, field: string): number | null {
  if (obj[key] === null && Object.hasOwn(obj, key)) return null;
  const n = countField(obj, key, field, MAX_PARTITION);
  if (n === 0) throw invalid(field, 'partitions are numbered from 1');
  return n;
}

function layout(obj: JsonObject): LayoutFit {
  return {
    resizePartition: partitionNumber(obj, 'resizePartition', 'layout.resizePartition'),
    filesystem: choiceField(obj, 'filesystem', 'layout.filesystem', ['ext4', 'none'] as const),
  };
}

function nic(value: unknown, field: string): NicConfig {
  const obj = asObject(value, field);
  const mode = choiceField(obj, 'mode', `${field}.mode`, ['dhcp', 'static'] as const);
  const address = textField(obj, 'address', `${field}.address`, 64);
  const gateway = textField(obj, 'gateway', `${field}.gateway`, 64);
  if (mode === 'static' && !ADDRESS.test(address)) throw invalid(`${field}.address`, 'a static NIC needs an address such as 10.0.0.21/24');
  if (address !== '' && !ADDRESS.test(address)) throw invalid(`${field}.address`, 'expected an address such as 10.0.0.21/24');
  if (gateway !== '' && !ADDRESS.test(gateway)) throw invalid(`${field}.gateway`, 'expected an address such as 10.0.0.1');
  const dns = listField(obj, 'dns', `${field}.dns`, MAX_DNS, (v, f) => {
    if (typeof v !== 'string' || !ADDRESS.test(v)) throw invalid(f, 'expected an address such as 10.0.0.53');
    return v;
  });
  return { mac: parseMacText(textField(obj, 'mac', `${field}.mac`, 64), `${field}.mac`), mode, address, gateway, dns };
}

function uefiEntry(obj: JsonObject): Personalisation['uefiBootEntry'] {
  const field = 'personalise.uefiBootEntry';
  if (obj['uefiBootEntry'] === null && Object.hasOwn(obj, 'uefiBootEntry')) return null;
  const entry = objectField(obj, 'uefiBootEntry', field);
  const partition = partitionNumber(entry, 'partition', `${field}.partition`);
  if (partition === null) throw invalid(`${field}.partition`, 'expected a partition number');
  const loader = textField(entry, 'loader', `${field}.loader`, TEXT);
  if (!loader.startsWith('\\')) throw invalid(`${field}.loader`, 'expected a path on the ESP such as \\EFI\\BOOT\\BOOTX64.EFI');
  return { label: textField(entry, 'label', `${field}.label`, 64), partition, loader };
}

function personalise(obj: JsonObject): Personalisation {
  const field = 'personalise';
  const hostname = textField(obj, 'hostname', `${field}.hostname`, 253);
  if (!HOSTNAME.test(hostname)) throw invalid(`${field}.hostname`, 'expected a host name of letters, digits, hyphens and dots (RFC 1123)');
  return {
    rootPartition: partitionNumber(obj, 'rootPartition', `${field}.rootPartition`),
    hostname,
    nics: listField(obj, 'nics', `${field}.nics`, MAX_NICS, nic),
    newMachineId: flagField(obj, 'newMachineId', `${field}.newMachineId`),
    removeSshHostKeys: flagField(obj, 'removeSshHostKeys', `${field}.removeSshHostKeys`),
    uefiBootEntry: uefiEntry(obj),
  };
}

/** Checks a plan from JSON; returns a fresh object holding only the schema's fields. */
export function parseDeployPlan(value: unknown): DeployPlan {
  const obj = asObject(value, 'plan');
  if (obj['schema'] !== DEPLOY_PLAN_SCHEMA_VERSION) {
    throw new WireError('RC_ERR_WIRE_UNSUPPORTED_VERSION', 'schema', `expected plan schema ${DEPLOY_PLAN_SCHEMA_VERSION}`);
  }
  const target = disk(obj['target'], 'target');
  const planned = image(objectField(obj, 'image', 'image'));
  if (target.sizeBytes < planned.usedEndBytes) throw invalid('target.sizeBytes', 'smaller than the image\'s used end');
  return {
    schema: DEPLOY_PLAN_SCHEMA_VERSION,
    image: planned,
    target,
    untouched: listField(obj, 'untouched', 'untouched', MAX_DISKS, disk),
    layout: layout(objectField(obj, 'layout', 'layout')),
    personalise: personalise(objectField(obj, 'personalise', 'personalise')),
  };
}
