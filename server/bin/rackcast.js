#!/usr/bin/env node
// Committed entry point so npm can link `rackcast` before the TypeScript build exists.
// Imports hash on the main thread and compress, write and fsync on libuv's pool; 8 threads
// keep both of those busy (Node's default is 4). Must be set before the pool first starts.
process.env.UV_THREADPOOL_SIZE ??= '8';
await import('../dist/cli/rackcast.js');
