import { createSocket } from 'node:dgram';
import { createRequire } from 'node:module';

/** The batched receive addon's interface (preboot-image/datagram-ring/index.d.ts). */
type DatagramRing = typeof import('@rackcast/datagram-ring');

export interface MulticastSocketOptions {
  readonly port: number;
  readonly group: string;
  /** IPv4 address of the interface to join on. */
  readonly interfaceAddress: string;
  /** Asked for; the kernel may grant less (see receiveBufferBytes). */
  readonly receiveBufferBytes: number;
  /** The session's datagram size: nothing longer is legal. */
  readonly maxDatagramSize: number;
  /**
   * One datagram. The bytes are valid only during the call (the batched path reuses them for
   * the next batch): whatever is kept must be copied.
   */
  readonly onDatagram: (bytes: Buffer) => void;
  /** A datagram longer than maxDatagramSize arrived (cut off: counted as malformed). */
  readonly onOversize: () => void;
  readonly onError: (err: Error) => void;
}

export interface MulticastSocket {
  /** 'batched': recvmmsg into a ring (the addon); 'dgram': Node's one-datagram-per-call socket. */
  readonly kind: 'batched' | 'dgram';
  /** Why the batched path is not used, when it is not. */
  readonly fallbackReason: string | null;
  /** The receive buffer the kernel granted, bytes. */
  readonly receiveBufferBytes: number;
  /** Packets that arrived as a run of datagrams (segmentation offload, UDP_GRO) so far. */
  readonly coalescedPackets: number;
  close(): void;
}

/** Slots read per recvmmsg call. */
const RING_SLOTS = 128;
/**
 * A slot holds a whole coalesced packet (the sender's segmentation offload, UDP_GRO here):
 * at most 64 KiB of UDP payload. 128 of them are 8 MiB of address space, resident only as far
 * as packets fill them.
 */
const RING_SLOT_BYTES = 65536;
/**
 * Once drained, the batched socket rests this long before reading again, so datagrams arrive
 * in batches even when they come slowly (many receivers sharing a host or a slow link woke
 * for every datagram or two). 2 ms of a gigabit stream is ~170 datagrams, well inside the
 * receive buffer.
 */
const RING_PAUSE_MS = 2;

let ring: DatagramRing | null | undefined;
let ringLoadError = '';

/** The addon, loaded once; null (with the reason kept) if it is not built or not loadable. */
function loadRing(): DatagramRing | null {
  if (ring !== undefined) return ring;
  try {
    ring = createRequire(import.meta.url)('@rackcast/datagram-ring') as DatagramRing;
  } catch (err) {
    ring = null;
    ringLoadError = `the batched receive addon did not load (${(err as Error).message.split('\n')[0] ?? ''})`;
  }
  return ring;
}

/**
 * Joins a multicast group and hands every datagram to `onDatagram`. Uses the batched receive
 * addon when it loads: one system call and one JavaScript call per up to 128 packets (each one
 * datagram, or up to 64 KiB of them when the sender used segmentation offload), into one
 * buffer reused for the whole session; at a gigabit that takes most of the receiver's
 * garbage collection away (Node's dgram allocates a buffer per datagram). Falls back to dgram
 * when the addon is missing or RACKCAST_RECEIVE_SOCKET=dgram, and says why in fallbackReason.
 */
export async function openMulticastSocket(o: MulticastSocketOptions): Promise<MulticastSocket> {
  const forced = process.env['RACKCAST_RECEIVE_SOCKET'] === 'dgram';
  const addon = forced ? null : loadRing();
  if (addon) return openBatched(addon, o);
  return openDgram(o, forced ? 'RACKCAST_RECEIVE_SOCKET=dgram' : ringLoadError);
}

function openBatched(addon: DatagramRing, o: MulticastSocketOptions): MulticastSocket {
  const slot = Math.max(RING_SLOT_BYTES, o.maxDatagramSize);
  const data = Buffer.allocUnsafeSlow(slot * RING_SLOTS);
  const lengths = new Uint32Array(RING_SLOTS);
  const segmentSizes = new Uint32Array(RING_SLOTS);
  let coalesced = 0;
  const onBatch = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const segmentSize = segmentSizes[i] as number;
      if (segmentSize > 0) coalesced++;
      deliverSlot(data, i * slot, lengths[i] as number, segmentSize, slot, o);
    }
  };
  const handle = addon.open(o.port, o.group, o.interfaceAddress, o.receiveBufferBytes, data, slot, lengths, segmentSizes, RING_PAUSE_MS, onBatch, o.onError);
  return {
    kind: 'batched', fallbackReason: null, receiveBufferBytes: addon.receiveBufferBytes(handle),
    get coalescedPackets() {
      return coalesced;
    },
    close: () => addon.close(handle),
  };
}

/**
 * Hands the datagrams of one slot to onDatagram: one, or a coalesced packet's run of
 * `segmentSize`-byte datagrams (the last may be shorter). Anything longer than the session's
 * datagram size is oversize: a cut-off slot, or a run whose datagrams are too long.
 */
function deliverSlot(data: Buffer, start: number, length: number, segmentSize: number, slot: number, o: Pick<MulticastSocketOptions, 'maxDatagramSize' | 'onDatagram' | 'onOversize'>): void {
  if (length > slot) {
    o.onOversize();
    return;
  }
  const step = segmentSize === 0 ? length : segmentSize;
  if (step === 0) {
    o.onDatagram(data.subarray(start, start)); // an empty datagram: the decoder says what is wrong
    return;
  }
  if (step > o.maxDatagramSize) {
    o.onOversize();
    return;
  }
  const end = start + length;
  for (let at = start; at < end; at += step) o.onDatagram(data.subarray(at, Math.min(at + step, end)));
}

async function openDgram(o: MulticastSocketOptions, reason: string): Promise<MulticastSocket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  socket.on('message', (msg) => {
    if (msg.byteLength > o.maxDatagramSize) o.onOversize();
    else o.onDatagram(msg);
  });
  // A bind failure rejects here; later socket errors go to onError.
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(o.port, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', o.onError);
  socket.setRecvBufferSize(o.receiveBufferBytes);
  socket.addMembership(o.group, o.interfaceAddress);
  let closed = false;
  return {
    kind: 'dgram', fallbackReason: reason, receiveBufferBytes: socket.getRecvBufferSize(), coalescedPackets: 0,
    close: () => {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}
