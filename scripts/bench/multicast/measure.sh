#!/usr/bin/env bash
# Runs a command and records its CPU time and peak memory, the same way for every tool in the
# benchmark (ours, udpcast, uftp): samples /proc/<pid>/stat and status every 0.2 s, and writes
# "cpu_seconds=<user+sys> rss_mb=<VmHWM>" to OUT when the command ends or is told to stop.
# Usage: measure.sh OUT -- command args...   (exit status: the command's)
set -u
out=$1; shift; [ "${1:-}" = "--" ] && shift
"$@" &
pid=$!
hz=$(getconf CLK_TCK)
cpu=0; rss=0
sample() {
  local stat status t h
  stat=$(cat /proc/$pid/stat 2>/dev/null) || return 1
  t=$(echo "${stat##*) }" | awk '{print $12 + $13 + $14 + $15}')
  [ -n "$t" ] && cpu=$t
  h=$(awk '/^VmHWM:/{print $2}' /proc/$pid/status 2>/dev/null)
  [ -n "$h" ] && rss=$h
  return 0
}
finish() {
  printf 'cpu_seconds=%s rss_mb=%s\n' "$(awk -v t="$cpu" -v hz="$hz" 'BEGIN{printf "%.2f", t/hz}')" "$(awk -v k="$rss" 'BEGIN{printf "%.0f", k/1024}')" > "$out"
}
trap 'sample; kill -TERM $pid 2>/dev/null; wait $pid; finish; exit 143' TERM INT
while kill -0 $pid 2>/dev/null; do sample; sleep 0.2; done
wait $pid; rc=$?
finish
exit $rc
