import type { Socket } from 'node:dgram';

/**
 * The file descriptor of a bound dgram socket, or null when this Node version does not expose
 * it. Node's dgram has no setsockopt; the `sockopt` package sets integer options on a
 * descriptor, and this reads it from the socket's internal state (the public `_handle` getter
 * prints a deprecation warning). Linux only, like every caller.
 */
export function socketDescriptor(socket: Socket): number | null {
  const state = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const handle = state === undefined ? undefined : (socket as unknown as Record<symbol, { handle?: { fd?: unknown } } | undefined>)[state]?.handle;
  return typeof handle?.fd === 'number' && handle.fd >= 0 ? handle.fd : null;
}
