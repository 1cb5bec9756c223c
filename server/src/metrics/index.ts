export { ServerMetrics } from './server-metrics.js';
export type { BootCounters, MetricSources } from './server-metrics.js';
export { StoreSizeProbe } from './store-size.js';
export type { BlockFolderSize } from './store-size.js';
