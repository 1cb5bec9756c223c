import { DATA_HEADER_LENGTH } from './datagram.js';
import { WireError } from '../wire-error.js';

/** Fragment bytes per DATA datagram of the given size (e.g. 1472 → 1436). */
export function fragmentSizeFor(datagramSize: number): number {
  const size = datagramSize - DATA_HEADER_LENGTH;
  if (!Number.isInteger(datagramSize) || size < 64 || datagramSize > 65507) {
    throw new WireError('RC_ERR_WIRE_INVALID', 'datagramSize', `datagram size ${datagramSize} is outside ${DATA_HEADER_LENGTH + 64}..65507`);
  }
  return size;
}

/** DATA carries the fragment count in a u16. */
export const MAX_FRAGMENT_COUNT = 0xffff;

/** Number of fragments a sealed block of `sealedLength` bytes takes (at most MAX_FRAGMENT_COUNT). */
export function fragmentCountFor(sealedLength: number, fragmentSize: number): number {
  const count = Math.ceil(sealedLength / fragmentSize);
  if (count > MAX_FRAGMENT_COUNT) throw new WireError('RC_ERR_WIRE_INVALID', 'sealedLength', `${sealedLength} bytes need ${count} fragments of ${fragmentSize}, more than ${MAX_FRAGMENT_COUNT}`);
  return count;
}

/** Byte range [start, end) of fragment `index` within the sealed block. */
export function fragmentRange(index: number, sealedLength: number, fragmentSize: number): readonly [number, number] {
  const start = index * fragmentSize;
  return [start, Math.min(sealedLength, start + fragmentSize)];
}
