// Types for the `sockopt` package (derhuerst/node-sockopt), which ships none; the receive
// tests use it to send as the server does (UDP_SEGMENT). The server declares the same.
declare module 'sockopt' {
  export function setsockopt(socket: { _handle: { fd: number } }, level: number, name: number, value: number): void;
}
