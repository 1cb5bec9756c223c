/** What the agent needs to know, from the kernel command line (rackcast.* parameters). */
export interface AgentSettings {
  /** Boot server base URL, from `rackcast.server=http://10.0.0.1:8080`. */
  readonly server: string | null;
  /** One-time machine token the server issued, from `rackcast.token=…`. */
  readonly token: string | null;
  /** Other rackcast.* parameters, by name without the prefix. */
  readonly extra: Readonly<Record<string, string>>;
}

/**
 * Parses `/proc/cmdline` text. Only `rackcast.`-prefixed parameters are read (as IPA reads
 * its ipa-* parameters); everything else belongs to the kernel. Values may be double-quoted.
 */
export function parseKernelCommandLine(cmdline: string): AgentSettings {
  const extra: Record<string, string> = {};
  for (const match of cmdline.matchAll(/(?:^|\s)rackcast\.([A-Za-z0-9_.-]+)=("([^"]*)"|\S*)/g)) {
    const key = match[1] as string;
    extra[key] = match[3] ?? match[2] ?? '';
  }
  const { server = null, token = null, ...rest } = extra;
  return { server, token, extra: rest };
}
