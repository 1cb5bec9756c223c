#!/usr/bin/env -S node --single-threaded-gc
// Committed entry point so npm can link `rackcast-agent` before the TypeScript build exists.
// --single-threaded-gc: V8's parallel GC helpers cost more CPU than the collections they
// speed up: measured on a 1 GiB multicast receive (then through dgram, a buffer per datagram),
// four helper threads took 2.0 CPU-s and the receiver's total fell from 6.1 to 4.2 CPU-s
// without them (scripts/bench/results/multicast.md). The batched socket makes far less garbage;
// the flag stays, as the collections left are small. It is a start-up flag (setting it at run
// time crashes V8), so every launcher passes it: this line, and the preboot image's init.
import '../dist/main.js';
