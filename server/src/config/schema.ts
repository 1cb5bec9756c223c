import { z } from 'zod';

const UNITS: Record<string, number> = { '': 1, B: 1, K: 1024, KiB: 1024, M: 1024 ** 2, MiB: 1024 ** 2, G: 1024 ** 3, GiB: 1024 ** 3 };

/** Parses a byte size: a number, or a string such as "1MiB", "256KiB", "4096". */
export function parseByteSize(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d+)\s*([A-Za-z]*)\s*$/.exec(value);
  const unit = m ? UNITS[m[2] ?? ''] : undefined;
  return m && unit !== undefined ? Number(m[1]) * unit : undefined;
}

const byteSize = z.preprocess((v) => parseByteSize(v) ?? v, z.number({ error: 'expected a size such as 1MiB or 262144' }).int());

const IPV4 = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address');

/** The boot server's configuration; config/default.yaml documents every key. */
export const ConfigSchema = z.object({
  store: z.object({
    dir: z.string().min(1),
    blockSize: byteSize.refine((n) => n >= 4096 && n <= 16 * 1024 * 1024 && n % 4096 === 0, 'must be a multiple of 4KiB between 4KiB and 16MiB'),
    keepVersions: z.number().int().min(0),
    keep: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be an image name'), z.number().int().min(0)).default({}),
  }).strict(),
  http: z.object({
    host: z.string().min(1),
    port: z.number().int().min(0).max(65535),
    keepAliveTimeoutSeconds: z.number().int().min(1).max(3600),
  }).strict(),
  multicast: z.object({
    interface: IPV4,
    groupBase: z.string().regex(/^2(2[4-9]|3\d)\.\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'must be an IPv4 multicast address'),
    portBase: z.number().int().min(1024).max(64535),
    ttl: z.number().int().min(1).max(255),
    datagramSize: z.number().int().min(576).max(65507),
    segmentOffload: z.boolean(),
    rate: z.union([z.string(), z.number()]),
  }).strict(),
  boot: z.object({
    interface: z.string(),
    address: z.union([z.literal(''), IPV4]),
    httpBaseUrl: z.union([z.literal(''), z.url({ protocol: /^http$/, error: 'must be an http:// URL' })]),
    prebootDir: z.string().min(1),
    ipxeDir: z.string().min(1),
    unknownMachines: z.enum(['register', 'local', 'ignore']),
    kernelArgs: z.string(),
    tokenTtlSeconds: z.number().int().min(1).max(7 * 86400),
  }).strict(),
  dhcp: z.object({
    mode: z.enum(['proxy', 'full', 'off']),
    port: z.number().int().min(1).max(65535),
    proxyPort: z.number().int().min(1).max(65535),
    range: z.object({
      start: IPV4,
      end: IPV4,
      prefixLength: z.number().int().min(8).max(30),
      leaseSeconds: z.number().int().min(60).max(31 * 86400),
      router: z.union([z.literal(''), IPV4]),
      dns: z.array(IPV4),
    }).strict(),
  }).strict(),
  tftp: z.object({
    enabled: z.boolean(),
    port: z.number().int().min(1).max(65535),
    maxTransfers: z.number().int().min(1).max(4096),
    maxBlockSize: z.number().int().min(512).max(65464),
    maxWindowSize: z.number().int().min(1).max(1024),
    linkTargets: z.array(z.string().regex(/^\//, 'must be an absolute path')),
  }).strict(),
  log: z.object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  }).strict(),
  /** Where the CLI finds a server (optional; default: the server holding this store, through its state file). */
  client: z.object({
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    token: z.string().min(1).optional(),
  }).strict().optional(),
}).strict();

export type RackcastConfig = z.infer<typeof ConfigSchema>;
