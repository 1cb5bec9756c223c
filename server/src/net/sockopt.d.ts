// Types for the `sockopt` package (derhuerst/node-sockopt, N-API, prebuilt for linux-x64/arm64),
// which ships none. It reads the descriptor from `socket._handle.fd` and sets integer options.
declare module 'sockopt' {
  export function setsockopt(socket: { _handle: { fd: number } }, level: number, name: number, value: number): void;
  export function getsockopt(socket: { _handle: { fd: number } }, level: number, name: number): number;
}
