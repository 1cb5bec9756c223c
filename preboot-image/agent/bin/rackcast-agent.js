#!/usr/bin/env node
// Committed entry point so npm can link `rackcast-agent` before the TypeScript build exists.
import '../dist/main.js';
