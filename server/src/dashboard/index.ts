export { DashboardFeed, sessionEventView } from './dashboard-feed.js';
export type { DashboardSources, DashboardFeedOptions } from './dashboard-feed.js';
export { machineRow } from './machine-row.js';
export type { MachineRow } from './machine-row.js';
