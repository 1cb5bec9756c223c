export { MulticastSender } from './multicast-sender.js';
export type { MulticastSenderOptions, SealedBlockSource, PassItem, PassResult, InPassRepairSource } from './multicast-sender.js';
export { RateGovernor, WIRE_OVERHEAD } from './rate-governor.js';
