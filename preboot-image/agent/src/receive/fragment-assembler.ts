import { type DataDatagram, type Manifest, type MissingFragments, type NakEntry } from '@rackcast/wire';
import type { BlockTarget } from './block-target.js';

interface Assembly {
  readonly block: number;
  readonly sealedLength: number;
  readonly fragmentCount: number;
  readonly have: Uint8Array;
  got: number;
  /** The sealed bytes while held in memory; null once spilled to the target. */
  buffer: Buffer | null;
  /** Spilled: bytes past the block's region on the target (a sealed block may exceed its
   * plaintext by up to 21 bytes: frame header + tag), kept in memory. */
  overflow: Buffer | null;
  /** Serialises this block's writes to the target, so a later fragment is never overwritten. */
  io: Promise<void>;
}

export interface AssemblerOptions {
  readonly manifest: Manifest;
  readonly fragmentSize: number;
  readonly target: BlockTarget;
  /** Bytes of partial blocks held in memory before older ones spill to the target. */
  readonly memoryBudget: number;
  /** Receives each completed sealed block. */
  readonly onComplete: (block: number, sealed: Buffer) => void;
  readonly onError: (err: unknown) => void;
  /**
   * Blocks never spilled to the target (they stay in memory whatever the budget): those over
   * the deferred boot area, whose region must hold nothing but zeros until the end.
   */
  readonly keepInMemory?: (block: number) => boolean;
  /** Where block buffers come from (default: a new buffer each). */
  readonly buffers?: { take(length: number): Buffer };
}

/**
 * Collects the fragments of sealed blocks. A block is authenticated whole, so its fragments
 * must wait for the last one; under loss almost every block of a first pass is partial, so
 * they cannot all wait in memory. Partial blocks stay in memory up to a budget; beyond it the
 * oldest are spilled into their own region of the target (which their plaintext overwrites
 * later anyway) and read back when complete. Memory stays bounded at any loss rate.
 */
export class FragmentAssembler {
  readonly #o: AssemblerOptions;
  readonly #open = new Map<number, Assembly>();
  /**
   * Blocks whose last fragment arrived but that are not yet handed on (a spilled block is
   * being read back). NOTE: without this, a duplicate fragment in that window (repair passes
   * resend what *other* receivers miss) opened a new assembly that could spill ciphertext over
   * the plaintext already written: a verified block corrupted on disk afterwards.
   */
  readonly #completing = new Set<number>();
  #memoryBytes = 0;
  #closed = false;
  spilledBlocks = 0;

  constructor(options: AssemblerOptions) {
    this.#o = options;
  }

  /** Adds one DATA fragment (its payload is copied: it may be reused after the call); returns false if not needed (duplicate). */
  accept(d: DataDatagram): boolean {
    if (this.#closed || this.#completing.has(d.blockIndex)) return false;
    const a = this.#open.get(d.blockIndex) ?? this.#start(d);
    if (!a) return false;
    if ((a.have[d.fragmentIndex >> 3] ?? 0) & (1 << (d.fragmentIndex & 7))) return false;
    if (d.sealedLength !== a.sealedLength || d.fragmentCount !== a.fragmentCount) return false;
    const offset = d.fragmentIndex * this.#o.fragmentSize;
    if (d.fragmentIndex < a.fragmentCount - 1 ? d.payload.byteLength !== this.#o.fragmentSize : offset + d.payload.byteLength !== a.sealedLength) return false;
    a.have[d.fragmentIndex >> 3] = (a.have[d.fragmentIndex >> 3] ?? 0) | (1 << (d.fragmentIndex & 7));
    a.got++;
    // The payload is a view into the socket's receive ring, reused for the next batch: it is
    // copied here (into the block's buffer, or into its own buffer for a spilled block's write).
    if (a.buffer) a.buffer.set(d.payload, offset);
    else this.#writeSpilled(a, Buffer.from(d.payload), offset);
    if (a.got === a.fragmentCount) this.#complete(a);
    return true;
  }

  /** Forgets a block's fragments (it failed authentication): it is missing again. */
  drop(block: number): void {
    const a = this.#open.get(block);
    if (!a) return;
    this.#open.delete(block);
    if (a.buffer) this.#memoryBytes -= a.sealedLength;
  }

  /**
   * Abandons every partial block and waits until their spilled writes have landed. Called
   * before backfill writes blocks over HTTP: a queued spill write landing after a backfilled
   * block's plaintext would corrupt it.
   */
  async abandonAll(): Promise<void> {
    const chains = [...this.#open.values()].map((a) => a.io.catch(() => undefined));
    this.#open.clear();
    this.#memoryBytes = 0;
    this.#closed = true;
    await Promise.all(chains);
  }

  /** True if some fragments of `block` are held, or it is being handed on. */
  has(block: number): boolean {
    return this.#open.has(block) || this.#completing.has(block);
  }

  /** True while a complete block is being handed on: it is neither missing nor assembling. */
  isCompleting(block: number): boolean {
    return this.#completing.has(block);
  }

  /** What is missing of every block not settled (done or being written), as NAK entries. */
  missing(blockCount: number, settled: (block: number) => boolean): NakEntry[] {
    const entries: NakEntry[] = [];
    for (let b = 0; b < blockCount; b++) {
      if (settled(b)) continue;
      const a = this.#open.get(b);
      if (a) {
        entries.push(missingOf(a));
        continue;
      }
      const last = entries[entries.length - 1];
      if (last?.kind === 'blocks' && last.first + last.count === b) entries[entries.length - 1] = { ...last, count: last.count + 1 };
      else entries.push({ kind: 'blocks', first: b, count: 1 });
    }
    return entries;
  }

  /**
   * The missing fragments of partial blocks below `before` (blocks the sender has already
   * passed in this pass) for which `wanted` says yes, lowest first, at most `max`: an in-pass
   * repair request.
   */
  partialBefore(before: number, wanted: (block: number) => boolean, max: number): MissingFragments[] {
    const blocks: number[] = [];
    for (const [block, a] of this.#open) if (block < before && a.got < a.fragmentCount && wanted(block)) blocks.push(block);
    return blocks.sort((x, y) => x - y).slice(0, max).map((b) => missingOf(this.#open.get(b) as Assembly));
  }

  #start(d: DataDatagram): Assembly | null {
    if (!this.#o.manifest.blocks[d.blockIndex]) return null;
    const a: Assembly = {
      block: d.blockIndex, sealedLength: d.sealedLength, fragmentCount: d.fragmentCount,
      have: new Uint8Array(Math.ceil(d.fragmentCount / 8)), got: 0, buffer: this.#o.buffers?.take(d.sealedLength) ?? Buffer.allocUnsafe(d.sealedLength), overflow: null, io: Promise.resolve(),
    };
    this.#open.set(d.blockIndex, a);
    this.#memoryBytes += d.sealedLength;
    this.#spillOverBudget(a);
    return a;
  }

  #spillOverBudget(keep: Assembly): void {
    for (const a of this.#open.values()) {
      if (this.#memoryBytes <= this.#o.memoryBudget) return;
      if (a === keep || !a.buffer || this.#o.keepInMemory?.(a.block) || this.#pastTargetEnd(a.block)) continue;
      const buffer = a.buffer;
      a.buffer = null;
      this.#memoryBytes -= a.sealedLength;
      this.spilledBlocks++;
      this.#writeSpilled(a, buffer, 0);
    }
  }

  /** A block whose region ends past a smaller target's end: it has no room there to spill into. */
  #pastTargetEnd(block: number): boolean {
    const region = this.#o.manifest.blocks[block];
    return region !== undefined && region.offset + region.length > this.#o.target.size;
  }

  /** Writes sealed bytes of a spilled block into its region; what lies past the region stays in memory. */
  #writeSpilled(a: Assembly, bytes: Buffer, offset: number): void {
    const region = this.#o.manifest.blocks[a.block] as Manifest['blocks'][number];
    const inRegion = Math.max(0, Math.min(bytes.byteLength, region.length - offset));
    if (offset + bytes.byteLength > region.length) {
      a.overflow ??= Buffer.alloc(a.sealedLength - region.length);
      const from = Math.max(0, region.length - offset);
      bytes.copy(a.overflow, offset + from - region.length, from);
    }
    if (inRegion > 0) {
      const slice = bytes.subarray(0, inRegion);
      a.io = a.io.then(() => this.#o.target.write(slice, region.offset + offset));
    }
  }

  #complete(a: Assembly): void {
    this.#open.delete(a.block);
    if (a.buffer) {
      this.#memoryBytes -= a.sealedLength;
      this.#o.onComplete(a.block, a.buffer);
      return;
    }
    const region = this.#o.manifest.blocks[a.block] as Manifest['blocks'][number];
    this.#completing.add(a.block);
    a.io.then(async () => {
      const inRegion = await this.#o.target.read(region.offset, Math.min(region.length, a.sealedLength));
      // Handed on first, released after: the pipeline marks it pending in the same tick.
      this.#o.onComplete(a.block, a.overflow ? Buffer.concat([inRegion, a.overflow]) : inRegion);
      this.#completing.delete(a.block);
    }).catch(this.#o.onError);
  }
}

/** A partial block's missing fragments as a NAK entry. */
function missingOf(a: Assembly): MissingFragments {
  const bitmap = new Uint8Array(a.have.byteLength);
  for (let f = 0; f < a.fragmentCount; f++) if (!((a.have[f >> 3] ?? 0) & (1 << (f & 7)))) bitmap[f >> 3] = (bitmap[f >> 3] ?? 0) | (1 << (f & 7));
  return { kind: 'fragments', block: a.block, fragmentCount: a.fragmentCount, bitmap };
}
