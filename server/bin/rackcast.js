#!/usr/bin/env node
// Committed entry point so npm can link `rackcast` before the TypeScript build exists.
import '../dist/cli/rackcast.js';
