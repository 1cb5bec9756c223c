import { parseKernelCommandLine } from '../agent-settings.js';

/** The agent cannot start: its settings are incomplete (code RC_ERR_AGENT_SETTINGS). */
export class AgentSettingsError extends Error {
  readonly code = 'RC_ERR_AGENT_SETTINGS';
}

/** What the `boot` command needs to find and join its server. */
export interface BootSettings {
  /** e.g. "http://10.0.0.1:8080" (no trailing slash). */
  readonly server: string;
  /** One-time machine token from the iPXE script; null when started without one. */
  readonly token: string | null;
  /** MAC of the NIC that booted, lowercase colon form, from BOOTIF; null when absent. */
  readonly bootMac: string | null;
}

/** Overrides for running off a real boot (tests, a technician's shell). */
export interface BootOverrides {
  readonly server?: string | undefined;
  readonly token?: string | undefined;
}

/**
 * BOOTIF as pxelinux and our iPXE script write it: the ARP hardware type ("01" = Ethernet),
 * then the MAC with hyphens. Returns the MAC in colon form, or null if absent or malformed.
 */
export function parseBootIf(cmdline: string): string | null {
  const value = /(?:^|\s)BOOTIF=(\S+)/.exec(cmdline)?.[1];
  const match = value === undefined ? null : /^01-((?:[0-9a-f]{2}-){5}[0-9a-f]{2})$/i.exec(value);
  return match?.[1] === undefined ? null : match[1].toLowerCase().replaceAll('-', ':');
}

/**
 * Settings from the kernel command line, with overrides winning. Throws when no server URL
 * is known: the agent cannot do anything without one.
 */
export function bootSettings(cmdline: string, overrides: BootOverrides = {}): BootSettings {
  const fromKernel = parseKernelCommandLine(cmdline);
  const server = (overrides.server ?? fromKernel.server ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\/\S+$/.test(server)) {
    throw new AgentSettingsError('no boot server URL: the kernel command line has no rackcast.server=http://… (boot through the server\'s iPXE script) and --server was not given');
  }
  return { server, token: overrides.token ?? fromKernel.token, bootMac: parseBootIf(cmdline) };
}
