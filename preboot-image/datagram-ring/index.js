'use strict';
// Loads the addon built by `node-gyp rebuild` (npm runs it on install). The agent falls back
// to Node's dgram when this throws, and says so in its log.
module.exports = require('./build/Release/datagram_ring.node');
