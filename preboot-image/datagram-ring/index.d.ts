/** An open multicast socket read by recvmmsg into the caller's slots. */
export type Ring = { readonly __ring: unique symbol };

/**
 * Binds 0.0.0.0:port (SO_REUSEADDR), joins `group` on the interface with address
 * `interfaceAddress`, and calls `onBatch(count)` whenever datagrams arrived: datagram i is
 * `data[i * slotSize, i * slotSize + lengths[i])`, valid only during that call. A datagram
 * longer than a slot is reported with length slotSize + 1. Slots = lengths.length. Once the
 * socket is drained, reading pauses for `pauseMs` (0: never), so datagrams gather into batches.
 * Throws Error with code RC_ERR_DATAGRAM_RING naming the failed step (e.g. "bind: Address in use").
 */
export function open(
  port: number, group: string, interfaceAddress: string, receiveBufferBytes: number,
  data: Buffer, slotSize: number, lengths: Uint32Array, pauseMs: number,
  onBatch: (count: number) => void, onError: (err: Error) => void,
): Ring;

/** Stops receiving at once; the socket closes on the next event-loop turn. Idempotent. */
export function close(ring: Ring): void;

/** The receive buffer the kernel granted (SO_RCVBUF as read back: twice the asked size). */
export function receiveBufferBytes(ring: Ring): number;
