/** The agent's version, sent at registration; kept equal to package.json by a unit test (the bundle carries no package.json). */
export const AGENT_VERSION = '0.1.0';
