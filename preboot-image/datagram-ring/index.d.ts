/** An open multicast socket read by recvmmsg into the caller's slots. */
export type Ring = { readonly __ring: unique symbol };

/**
 * Binds 0.0.0.0:port (SO_REUSEADDR), joins `group` on the interface with address
 * `interfaceAddress`, asks for UDP_GRO, and calls `onBatch(count)` whenever datagrams arrived:
 * slot i is `data[i * slotSize, i * slotSize + lengths[i])`, valid only during that call. A
 * slot holds one datagram when `segmentSizes[i]` is 0, else consecutive datagrams of
 * `segmentSizes[i]` bytes (the last may be shorter): a packet the sender's segmentation offload
 * made, handed over whole, so slots should hold 64 KiB. A slot's worth cut off is reported with
 * length slotSize + 1. Slots = lengths.length = segmentSizes.length. Once the socket is
 * drained, reading pauses for `pauseMs` (0: never), so datagrams gather into batches.
 * Throws Error with code RC_ERR_DATAGRAM_RING naming the failed step (e.g. "bind: Address in use").
 */
export function open(
  port: number, group: string, interfaceAddress: string, receiveBufferBytes: number,
  data: Buffer, slotSize: number, lengths: Uint32Array, segmentSizes: Uint32Array, pauseMs: number,
  onBatch: (count: number) => void, onError: (err: Error) => void,
): Ring;

/** Stops receiving at once; the socket closes on the next event-loop turn. Idempotent. */
export function close(ring: Ring): void;

/** The receive buffer the kernel granted (SO_RCVBUF as read back: twice the asked size). */
export function receiveBufferBytes(ring: Ring): number;
