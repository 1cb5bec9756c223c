export { BlockEncoding, BLOCK_FRAME_HEADER_LENGTH, encodeBlockFrame, decodeBlockFrame } from './block-frame.js';
export type { BlockFrame, BlockEncodingId } from './block-frame.js';
