export {
  TftpOpcode, TftpErrorCode, TFTP_MAX_BLOCK_SIZE, TFTP_DATA_HEADER_LENGTH, decodeTftpPacket, encodeTftpPacket, encodeTftpDataHeader,
} from './packet.js';
export type {
  TftpOpcodeId, TftpErrorCodeId, TftpOption, TftpRequest, TftpData, TftpAck, TftpError, TftpOptionAck, TftpPacket,
} from './packet.js';
export { TFTP_DEFAULT_BLOCK_SIZE, TFTP_OPTION_RANGES, parseTftpOptions, tftpOptionList } from './options.js';
export type { TftpOptionName, TftpRequestedOptions, TftpOptionProblem, TftpOptionProblemReason, ParsedTftpOptions } from './options.js';
export { encodeNetascii, decodeNetascii } from './netascii.js';
