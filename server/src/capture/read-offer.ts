import {
  composeVersion, decodeManifest, decodeManifestDelta, isWireError, newBlocksOf, type Manifest, type ManifestDelta,
} from '@rackcast/wire';
import { RackcastError } from '../errors.js';
import type { ImageStore, VersionRecord } from '../store/index.js';
import type { OfferSummary } from './capture-record.js';

/** A block the offer names by hash: the agent uploads it if the store lacks it. */
export interface OfferedBlock {
  readonly hash: Uint8Array;
  readonly hex: string;
  readonly length: number;
}

/** An offer, checked and resolved into the full version it describes. */
export interface OfferPlan {
  readonly summary: Omit<OfferSummary, 'missing'>;
  /** The version to commit: the offered manifest, or the base composed with the delta. */
  readonly manifest: Manifest;
  /** In offer order; bit i of the missing bitmap stands for offered[i]. */
  readonly offered: readonly OfferedBlock[];
}

const MAGIC_MANIFEST = 'RCMF';
const MAGIC_DELTA = 'RCMD';

function badOffer(message: string, cause?: unknown): RackcastError {
  return new RackcastError('RC_ERR_CAPTURE_BAD_OFFER', message, {}, cause === undefined ? undefined : { cause });
}

function decoded<T>(decode: () => T, what: string): T {
  try {
    return decode();
  } catch (err) {
    if (isWireError(err)) throw badOffer(`the agent's ${what} is malformed: ${err.message}; update the agent to this server's version`, err);
    throw err;
  }
}

const hexOf = (hash: Uint8Array): string => Buffer.from(hash).toString('hex');

/** The version of `image` whose manifest the delta names; RC_ERR_CAPTURE_BASE_CHANGED when there is none. */
async function findBase(store: ImageStore, image: string, delta: ManifestDelta): Promise<VersionRecord> {
  const digest = hexOf(delta.baseDigest);
  const versions = await store.index.listVersions(image);
  const base = versions.find((v) => v.manifestDigest === digest);
  if (base === undefined) {
    throw new RackcastError('RC_ERR_CAPTURE_BASE_CHANGED', `the delta's base version of ${image} is no longer in the store (removed or retention); the agent offers again against the newest version`, { image });
  }
  return base;
}

async function deltaPlan(store: ImageStore, image: string, bytes: Uint8Array): Promise<OfferPlan> {
  const delta = decoded(() => decodeManifestDelta(bytes), 'delta');
  const base = await findBase(store, image, delta);
  const baseManifest = await store.readManifest(base);
  // composeVersion touches no block data: references resolve to the base's hashes.
  const { manifest, stats } = decoded(() => composeVersion(baseManifest, delta), 'delta (against its base)');
  const offered = newBlocksOf(delta).map((b) => ({ hash: b.hash, hex: hexOf(b.hash), length: b.length }));
  return {
    manifest, offered,
    summary: { kind: 'delta', baseVersion: base.version, blocks: manifest.blocks.length, offered: offered.length, reused: stats.reusedBlocks, dropped: stats.droppedBlocks },
  };
}

function fullPlan(bytes: Uint8Array): OfferPlan {
  const manifest = decoded(() => decodeManifest(bytes), 'manifest');
  const offered = manifest.blocks.map((b) => ({ hash: b.hash, hex: hexOf(b.hash), length: b.length }));
  return { manifest, offered, summary: { kind: 'full', baseVersion: null, blocks: offered.length, offered: offered.length, reused: 0, dropped: 0 } };
}

/**
 * Reads an agent's offer: a full manifest (RCMF) or a delta (RCMD) against a version of the same
 * image, told apart by their magic. A delta is composed with its base here, so a bad reference
 * is refused before any block travels. Blocks must have the store's block size.
 */
export async function readOffer(store: ImageStore, image: string, bytes: Uint8Array): Promise<OfferPlan> {
  const magic = Buffer.from(bytes.subarray(0, 4)).toString('latin1');
  if (magic !== MAGIC_MANIFEST && magic !== MAGIC_DELTA) throw badOffer('the offer is neither a manifest (RCMF) nor a manifest delta (RCMD)');
  const plan = magic === MAGIC_DELTA ? await deltaPlan(store, image, bytes) : fullPlan(bytes);
  if (plan.manifest.blockSize !== store.options.blockSize) {
    throw badOffer(`the offer uses ${plan.manifest.blockSize}-byte blocks; this store uses ${store.options.blockSize} (the agent takes the size from GET /api/captures/agent)`);
  }
  return plan;
}
