#!/usr/bin/env bash
# Runs a command and records its CPU time and peak memory, the same way for every tool in the
# benchmark (ours, udpcast, uftp): samples /proc/<pid>/stat and status every 0.2 s, and writes
# "cpu_seconds=<user+sys> rss_mb=<VmHWM> user_seconds=<user> sys_seconds=<sys>" to OUT when the
# command ends or is told to stop. User and system time are kept apart because on the harness's
# bridge the kernel copies each multicast datagram once per receiver port inside the sender's
# send call: that system time grows with N for every tool, the sender's own work does not.
# Usage: measure.sh OUT -- command args...   (exit status: the command's)
set -u
out=$1; shift; [ "${1:-}" = "--" ] && shift
"$@" &
pid=$!
hz=$(getconf CLK_TCK)
cpu=0; usr=0; sys=0; rss=0
sample() {
  local stat status t h
  stat=$(cat /proc/$pid/stat 2>/dev/null) || return 1
  # Fields 14-17 of /proc/PID/stat: utime stime cutime cstime (c…: children waited for).
  read -r t u s < <(echo "${stat##*) }" | awk '{print $12 + $13 + $14 + $15, $12 + $14, $13 + $15}')
  [ -n "$t" ] && { cpu=$t; usr=$u; sys=$s; }
  h=$(awk '/^VmHWM:/{print $2}' /proc/$pid/status 2>/dev/null)
  [ -n "$h" ] && rss=$h
  return 0
}
secs() { awk -v t="$1" -v hz="$hz" 'BEGIN{printf "%.2f", t/hz}'; }
finish() {
  printf 'cpu_seconds=%s rss_mb=%s user_seconds=%s sys_seconds=%s\n' "$(secs "$cpu")" "$(awk -v k="$rss" 'BEGIN{printf "%.0f", k/1024}')" "$(secs "$usr")" "$(secs "$sys")" > "$out"
}
trap 'sample; kill -TERM $pid 2>/dev/null; wait $pid; finish; exit 143' TERM INT
while kill -0 $pid 2>/dev/null; do sample; sleep 0.2; done
wait $pid; rc=$?
finish
exit $rc
