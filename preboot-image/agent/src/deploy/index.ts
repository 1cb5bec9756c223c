export { DeployDriver } from './deploy-driver.js';
export type { DeployDriverOptions, StatusSender } from './deploy-driver.js';
export { runDeployJob } from './deploy-job.js';
export type { DeployJobOptions, DeployReport } from './deploy-job.js';
export type { DiskLibrary } from './disk-library.js';
export { DeployError, failureOf } from './deploy-error.js';
export { agentDiskLibrary } from './agent-disk-library.js';
export { verifyTarget } from './verify-target.js';
