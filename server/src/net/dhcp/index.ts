export { startDhcpServer, DhcpServer } from './dhcp-server.js';
export type { DhcpServerOptions, RunningDhcpServer, DhcpBootQuery, DhcpBootVerdict, DhcpRequestType, DhcpRequestOutcome } from './dhcp-server.js';
export type { DhcpBootAnswer } from './dhcp-reply.js';
export { LeasePool, OFFER_HOLD_MS } from './lease-pool.js';
export type { DhcpLease, DhcpLeaseStore, DhcpRange } from './lease-pool.js';
export { clientKeyOf } from './full-dhcp.js';
