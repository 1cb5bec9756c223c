export { importImage } from './import-image.js';
export type { ImportOptions, TransferProgress } from './import-image.js';
export { exportImage } from './export-image.js';
export type { ExportOptions, ExportResult } from './export-image.js';
