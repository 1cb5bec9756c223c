export { TftpServer, startTftpServer } from './tftp-server.js';
export type { TftpServerOptions, TftpServiceOptions, TftpRequestOutcome } from './tftp-server.js';
export { FolderFileSource, WHOLE_FILE_LIMIT } from './folder-file-source.js';
export type { FolderFileSourceOptions } from './folder-file-source.js';
export { memoryFile, handleFile } from './tftp-file.js';
export type { TftpFile, TftpFileSource, TftpClient } from './tftp-file.js';
export type { TransferTiming, TransferResult, TransferOutcome } from './tftp-transfer.js';
