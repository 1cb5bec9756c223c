#!/usr/bin/env -S node --single-threaded-gc
// Committed entry point so npm can link `rackcast-agent` before the TypeScript build exists.
// --single-threaded-gc: receiving a stream allocates a buffer per datagram, and V8's parallel
// GC helpers cost more CPU than the collection itself: measured on a 1 GiB multicast receive,
// four helper threads took 2.0 CPU-s and the receiver's total fell from 6.1 to 4.2 CPU-s
// without them (scripts/bench/results/multicast.md). It is a start-up flag (setting it at run
// time crashes V8), so every launcher passes it: this line, and the preboot image's init.
import '../dist/main.js';
