#!/usr/bin/env bash
# Rackcast as the benchmark's receiver: the real agent CLI, started as a user starts it (its
# own launcher line, with the agent's Node flags), token I from the session file. Profile
# with RECV_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" (Node 20 refuses --cpu-prof in
# NODE_OPTIONS): node then starts the launcher with the agent's flags plus those.
# Usage: rackcast-recv.sh SENDER_IP I OUT RECV_IP RUNDIR RDIR
set -euo pipefail
sender=$1 i=$2 out=$3 recv_ip=$4 rundir=$5 rdir=$6
root=$(cd "$(dirname "$0")/../../.." && pwd)
for _ in $(seq 1 300); do [ -f "$rundir/session.json" ] && break; sleep 0.1; done
agent=$root/preboot-image/agent/bin/rackcast-agent.js
launch=("$agent")
# shellcheck disable=SC2206 # the flags are words on purpose
[ -n "${RECV_NODE_FLAGS:-}" ] && launch=(node --single-threaded-gc $RECV_NODE_FLAGS "$agent")
read -r id token < <(node -e 'const s=require(process.argv[1]); console.log(s.session.id, s.tokens[Number(process.argv[2])-1])' "$rundir/session.json" "$i")
"$root/scripts/bench/multicast/measure.sh" "$rdir/receiver.measure" -- \
  "${launch[@]}" receive --server "http://$sender:8090" --session "$id" --token "$token" --target "$out" --iface "$recv_ip" --quiet > "$rdir/receive.out"
