export { DEPLOY_PLAN_SCHEMA_VERSION } from './deploy-plan.js';
export type { DeployPlan, DiskIdentity, PlannedImage, LayoutFit, NicConfig, Personalisation } from './deploy-plan.js';
export { parseDeployPlan } from './parse-deploy-plan.js';
