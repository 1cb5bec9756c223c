#!/usr/bin/env bash
# Preboot download time over HTTP: Rackcast's /boot/files (express sendFile, Range-capable)
# against busybox httpd serving the same folder, side by side in one run on loopback. A
# "boot" is what iPXE fetches: vmlinuz + initrd.img + agent.img. Each round runs C clients at
# once (a rack booting together) against each server in turn; the report gives the median
# time per round and the ratio Rackcast / busybox.
# Usage: scripts/bench/boot-files/run-boot-files.sh [--rounds 7] [--clients "1 4"] [--out FILE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rounds=7
clients="1 4"
out=$here/../results/boot-files.md
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) rounds=$2; shift ;;
    --clients) clients=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
pre=$root/var/preboot
for f in vmlinuz initrd.img agent.img; do [ -f "$pre/$f" ] || { echo "no $pre/$f: run scripts/build-preboot" >&2; exit 1; }; done
command -v curl >/dev/null && command -v busybox >/dev/null || { echo "needs curl and busybox: scripts/install-deps.sh" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

# Rackcast: the real server on a scratch store, boot files from var/preboot.
RACKCAST_STORE_DIR=$work/store RACKCAST_HTTP_HOST=127.0.0.1 RACKCAST_HTTP_PORT=0 RACKCAST_LOG_LEVEL=warn \
  node "$root/server/bin/rackcast.js" serve > "$work/serve.out" 2> "$work/serve.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q 'listening on' "$work/serve.out" && break; sleep 0.1; done
rc_url=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$work/serve.out")
[ -n "$rc_url" ] || { cat "$work/serve.log" >&2; echo "rackcast did not start" >&2; exit 1; }
# busybox httpd: a small C server, foreground, same files.
bb_port=$(( 20000 + RANDOM % 20000 ))
busybox httpd -f -p "127.0.0.1:$bb_port" -h "$pre" &
pids+=($!)
sleep 0.5

# One client's boot: the three files in order, like iPXE.
boot() { for f in vmlinuz initrd.img agent.img; do curl -sf -o /dev/null "$1/$f" || return 1; done; }
# One round: C clients at once; prints seconds.
round() {
  local base=$1 c=$2 start end i ps=()
  start=$(date +%s.%N)
  for i in $(seq 1 "$c"); do boot "$base" & ps+=($!); done
  for p in "${ps[@]}"; do wait "$p" || { echo "download failed from $base" >&2; return 1; }; done
  end=$(date +%s.%N)
  echo "$end - $start" | bc -l
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

bytes=$(stat -c %s "$pre/vmlinuz" "$pre/initrd.img" "$pre/agent.img" | awk '{s+=$1} END {print s}')
{
  echo "# Preboot download over HTTP: Rackcast vs busybox httpd"
  echo
  echo "One boot = vmlinuz + initrd.img + agent.img = $bytes bytes, fetched with curl on loopback;"
  echo "C clients at once; median of $rounds rounds, servers alternating within each round."
  echo "Machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start; $(date -u +%F)."
  echo
  echo "| clients | Rackcast s | busybox httpd s | ratio Rackcast/busybox | Rackcast MB/s |"
  echo "|---|---|---|---|---|"
} > "$work/report.md"
for c in $clients; do
  : > "$work/rc.$c"; : > "$work/bb.$c"
  for _ in $(seq 1 "$rounds"); do
    round "$rc_url/boot/files" "$c" >> "$work/rc.$c"
    round "http://127.0.0.1:$bb_port" "$c" >> "$work/bb.$c"
  done
  rc=$(median < "$work/rc.$c"); bb=$(median < "$work/bb.$c")
  printf '| %s | %.3f | %.3f | %.2f | %.0f |\n' "$c" "$rc" "$bb" "$(echo "$rc / $bb" | bc -l)" "$(echo "$bytes * $c / $rc / 1000000" | bc -l)" >> "$work/report.md"
done
cp "$work/report.md" "$out"
cat "$out"
