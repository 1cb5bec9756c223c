#!/usr/bin/env bash
# Rackcast as the benchmark's sender: the boot server on a store that already holds the image
# (imported by the driver before timing), then one session for N receivers. The session file
# in RUNDIR gives each receiver its token. Runs until the harness stops it. BENCH_SERVER_LOG_LEVEL=info
# logs each pass (items, fragments, in-pass repairs) to RUNDIR/serve.log (kept with MC_KEEP=1).
# Usage: rackcast-send.sh STORE SENDER_IP N RATE_MBIT GROUP PORT RUNDIR
set -euo pipefail
store=$1 ip=$2 n=$3 rate_mbit=$4 group=$5 port=$6 rundir=$7
root=$(cd "$(dirname "$0")/../../.." && pwd)
export RACKCAST_STORE_DIR=$store RACKCAST_HTTP_HOST=$ip RACKCAST_HTTP_PORT=8090 RACKCAST_MULTICAST_INTERFACE=$ip RACKCAST_LOG_LEVEL=${BENCH_SERVER_LOG_LEVEL:-warn}
"$root/scripts/bench/multicast/measure.sh" "$rundir/sender.measure" -- node ${RACKCAST_SERVE_NODE_ARGS:-} "$root/server/bin/rackcast.js" serve > "$rundir/serve.out" 2> "$rundir/serve.log" &
server=$!
trap 'kill -TERM $server 2>/dev/null; wait $server' TERM INT EXIT
for _ in $(seq 1 150); do grep -q 'listening on' "$rundir/serve.out" 2>/dev/null && break; sleep 0.1; done
# 95 % of the link rate, like udpcast-maxbr and uftp in the harness presets; unlimited unshaped.
rate=0; [ "${rate_mbit:-0}" -gt 0 ] 2>/dev/null && rate="$(( rate_mbit * 95 / 100 ))mbit"
# Late-join case: start streaming for N-1 machines; the late one gets a token of its own.
expect=$n; [ "${RACKCAST_BENCH_LATE:-0}" = 1 ] && expect=$(( n - 1 ))
node "$root/server/bin/rackcast.js" session start bench --expect "$expect" --rate "$rate" --group "$group" --port "$port" --json > "$rundir/session.json.tmp"
if [ "$expect" != "$n" ]; then
  id=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).session.id)' "$rundir/session.json.tmp")
  node "$root/server/bin/rackcast.js" session token "$id" --json > "$rundir/extra.json"
  node -e 'const fs=require("fs"); const s=JSON.parse(fs.readFileSync(process.argv[1])); const e=JSON.parse(fs.readFileSync(process.argv[2])); s.tokens.unshift(...e.tokens); fs.writeFileSync(process.argv[1], JSON.stringify(s))' "$rundir/session.json.tmp" "$rundir/extra.json"
fi
mv "$rundir/session.json.tmp" "$rundir/session.json"
# The store is shared by every run; a session an earlier run left unfinished (its sender was
# stopped with the run) is resumed when the server starts and waits for its receivers: cancel
# it, so only this run's session is ever on the group. Done once this run's session exists:
# its receivers are already timed.
mine=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).session.id)' "$rundir/session.json")
for id in $(node "$root/server/bin/rackcast.js" session list --json | node -e 'for (const s of JSON.parse(require("fs").readFileSync(0, "utf8"))) if (!["complete", "cancelled"].includes(s.phase) && s.id !== Number(process.argv[1])) console.log(s.id)' "$mine"); do
  node "$root/server/bin/rackcast.js" session cancel "$id" > /dev/null || true
done
wait $server
