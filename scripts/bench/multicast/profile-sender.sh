#!/usr/bin/env bash
# Where a multicast sender's CPU goes as the group grows: runs the scale case once per N for
# each tool (run-multicast.sh, same image and harness), records the sender process with
# `perf record -g` for the whole run, and splits its samples (split-sender-profile.mjs). The
# split that matters: samples whose call chain passes the kernel's net_rx_action. On the
# harness's software bridge, every datagram the sender writes is flooded to each receiver's
# port and delivered into that receiver's socket inside the sender's own send call (this
# kernel has no IRQ time accounting, so that softirq time is charged to the sender as system
# time). On a switch that delivery is the switch's work, not the sender's.
#
# Usage: scripts/bench/multicast/profile-sender.sh [--size 256M] [--tools "rackcast udpcast"] [N ...]   (default N: 1 16)
# Needs root (perf on another namespace's process) and perf (scripts/install-deps.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
size=256M
tools=rackcast
ns=()
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift ;;
    --tools) tools=$2; shift ;;
    *) ns+=("$1") ;;
  esac
  shift
done
[ ${#ns[@]} -gt 0 ] || ns=(1 16)
command -v perf >/dev/null || { echo "perf missing: run scripts/install-deps.sh" >&2; exit 1; }
out=$(mktemp -d /tmp/rackcast-senderprof.XXXXXX)
trap 'rm -rf "$out"' EXIT

# The sender process of each tool, as the harness starts it (measure.sh is its parent).
sender_pattern() {
  case $1 in
    rackcast) echo '^node .*server/bin/rackcast.js serve' ;;
    udpcast) echo '^udp-sender ' ;;
    uftp) echo '^uftp ' ;;
    *) echo "unknown tool $1" >&2; return 1 ;;
  esac
}

for tool in $tools; do
  pattern=$(sender_pattern "$tool")
  for n in "${ns[@]}"; do
    data=$out/$tool-$n.data
    # JIT frames get names from node's perf map (written to /tmp/perf-PID.map, removed below).
    RACKCAST_SERVE_NODE_ARGS="--perf-basic-prof" MC_TSV=$out/$tool-$n.tsv SCALE_N=$n \
      "$here/run-multicast.sh" --size "$size" --cases scale --tools "$tool" > "$out/$tool-$n.out" 2>&1 &
    bench=$!
    pid=""
    for _ in $(seq 1 1200); do
      pid=$(pgrep -f "$pattern" | head -1 || true)
      [ -n "$pid" ] && break
      kill -0 $bench 2>/dev/null || break
      sleep 0.05
    done
    [ -n "$pid" ] || { wait $bench || true; echo "$tool N=$n: the sender never started (see the run's output)" >&2; cat "$out/$tool-$n.out" >&2; exit 1; }
    # System-wide, filtered to the sender afterwards: `perf record -p` follows only the threads
    # that exist when it attaches, and node starts its GC and libuv threads after that.
    perf record -a -F 999 -g -o "$data" > /dev/null 2>&1 &
    rec=$!
    wait $bench
    kill -INT $rec 2>/dev/null || true
    wait $rec || true
    perf script -i "$data" --pid "$pid" -F comm,tid,ip,sym,dso 2> /dev/null > "$data.txt"
    rm -f "/tmp/perf-$pid.map"
    row=$(grep -v '^#' "$out/$tool-$n.tsv" | tail -1)
    node "$here/split-sender-profile.mjs" "$tool" "$n" "$data.txt" "$row"
  done
done | node "$here/split-sender-profile.mjs" --table
