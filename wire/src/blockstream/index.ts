export {
  BLOCKSTREAM_MAGIC, BLOCKSTREAM_VERSION, HEADER_LENGTH, DATA_HEADER_LENGTH, DEFAULT_DATAGRAM_SIZE,
  DatagramType, SenderPhase, FinishReason, writeDataHeader, encodeDatagram, decodeDatagram,
} from './datagram.js';
export type {
  DatagramTypeId, SenderPhaseId, FinishReasonId, DatagramHeader, DataDatagram, AnnounceDatagram,
  PassEndDatagram, FinishDatagram, Datagram,
} from './datagram.js';
export { fragmentSizeFor, fragmentCountFor, fragmentRange, MAX_FRAGMENT_COUNT } from './fragments.js';
export { sealBlock, sealBlockParts, openBlock, SESSION_KEY_LENGTH, SEAL_TAG_LENGTH } from './block-seal.js';
export type { SealedParts } from './block-seal.js';
export { encodeNakReport, decodeNakReport, MAX_NAK_ENTRIES } from './nak-report.js';
export type { NakReport, NakEntry, MissingBlocks, MissingFragments } from './nak-report.js';
export { BlockSet } from './block-set.js';
export type { ReceiverProgress, ReceiverMessage, ServerMessage } from './receiver-messages.js';
