#!/usr/bin/env bash
# Rackcast vs udpcast vs uftp on the shared multicast harness (../shared/bench/mcbench.sh):
# same image, same namespaces, link rate, loss and behaviour cases, one run after the other.
# Every tool runs under measure.sh, so sender and receiver CPU-seconds and peak RSS are
# measured the same way for all. Appends to results/multicast.tsv (the harness's RESULT
# fields plus those measurements) and prints a table with ratios (summarize.mjs).
#
# Usage: scripts/bench/multicast/run-multicast.sh [--size 1G] [--cases quick|full|scale|behaviour] [--tools "rackcast udpcast uftp"] [--harness DIR]
#        (full adds rackcast-noseg, Rackcast without segmentation offload, at N = 4 with 0/1/5 % loss;
#         it is also a --tools name)
#        (scale: only larger groups, N = $SCALE_N, default 8, at $SCALE_LOSS % loss, default 0;
#         e.g. SCALE_N=16 … --size 256M --cases scale; behaviour: only the capped, killed and late cases.
#         MC_TSV=FILE writes rows elsewhere; MC_KEEP=1 keeps each run's directory under $MC_WORK)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
harness=$root/../shared/bench
size=1G
cases=quick
tools="rackcast udpcast uftp"
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift ;;
    --cases) cases=$2; shift ;;
    --harness) harness=$2; shift ;;
    --tools) tools=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$harness/mcbench.sh" ] || { echo "the multicast harness is not at $harness (use --harness DIR)" >&2; exit 1; }
for tool in udp-sender uftp uftpd; do command -v $tool >/dev/null || { echo "$tool missing: run scripts/install-deps.sh" >&2; exit 1; }; done

export MC_WORK=${MC_WORK:-/dev/shm/rackcast-mcbench}
work=$MC_WORK/input
mkdir -p "$work" "$root/scripts/bench/results"
tsv=${MC_TSV:-$root/scripts/bench/results/multicast.tsv}
img=$work/image-$size.bin
[ -f "$img.sha256" ] || python3 "$harness/mkimage.py" --size "$size" --out "$img" >&2
store=$work/store-$size
if [ ! -d "$store/index" ]; then
  RACKCAST_STORE_DIR=$store node "$root/server/bin/rackcast.js" image import "$img" --name bench --raw >&2
fi

M=$here/measure.sh
RS="$here/rackcast-send.sh $store {SENDER_IP} {N} {RATE_MBIT} {GROUP} {PORT} {RUNDIR}"
RR="$here/rackcast-recv.sh {SENDER_IP} {I} {OUT} {RECV_IP} {RUNDIR} {RDIR}"
# The peers as the harness presets run them (presets.sh), wrapped in measure.sh.
US="$M {RUNDIR}/sender.measure -- udp-sender --file {SRC} --interface {IFACE} --portbase {PORT} --mcast-data-address {GROUP} --mcast-rdv-address {GROUP2} --min-receivers {N} --nokbd --start-timeout 60 --max-bitrate 950m"
UR="$M {RDIR}/receiver.measure -- udp-receiver --file {OUT} --interface {IFACE} --portbase {PORT} --mcast-rdv-address {GROUP2} --nokbd --start-timeout 60 --receive-timeout 30"
FS="$M {RUNDIR}/sender.measure -- uftp -I {IFACE} -M {GROUP} -P {GROUP2} -H {UFTP_IDS} -R 950000 -B 4194304 -x 1 -D image.bin -Y none {SRC}"
FSE="$M {RUNDIR}/sender.measure -- uftp -I {IFACE} -M {GROUP} -P {GROUP2} -H {UFTP_IDS} -R 950000 -B 4194304 -x 1 -D image.bin -Y aes256-gcm -h sha256 -e ecdh_rsa {SRC}"
FR="$M {RDIR}/receiver.measure -- uftpd -d -q -x 1 -I {IFACE} -M {GROUP} -D {RDIR} -B 4194304 -c 20971520"

# One case: tool N loss extra-harness-options…
run_case() {
  local tool=$1 n=$2 loss=$3; shift 3
  local tag=mcr$RANDOM send recv done order gap
  case $tool in
    rackcast) send=$RS; recv=$RR; done=receivers; order=send-first; gap=3 ;;
    # The same without segmentation offload: one send per datagram, as every peer sends. The
    # harness drops packets in the bridge (nft on the port's egress), where a segmented send is
    # still one packet: its loss cases drop whole runs (up to 64 datagrams at once) for
    # Rackcast, single datagrams for this variant and the peers, as a real switch would.
    rackcast-noseg) send="RACKCAST_MULTICAST_SEGMENT_OFFLOAD=false $RS"; recv=$RR; done=receivers; order=send-first; gap=3 ;;
    udpcast) send=$US; recv=$UR; done=all; order=recv-first; gap=1 ;;
    uftp) send=$FS; recv=$FR; done=sender; order=recv-first; gap=1 ;;
    uftp-enc) send=$FSE; recv=$FR; done=sender; order=recv-first; gap=1 ;;
  esac
  local label="${CASE_LABEL:-plain}"
  local line
  line=$("$harness/mcbench.sh" -t "$tool" -n "$n" -r 1gbit -l "$loss" --src "$img" --tag "$tag" --send "$send" --recv "$recv" \
    --done "$done" --order "$order" --gap "$gap" --label "$label" "$@" 2>/dev/null | grep '^RESULT' || echo "RESULT tool=$tool N=$n loss=$loss% status=harness-failed label=$label")
  local last="$MC_WORK/last-$tag" s_cpu=NA s_rss=NA s_usr=NA s_sys=NA r_cpu=NA r_rss=NA r_usr=NA r_sys=NA
  # measure.sh writes "cpu_seconds=C rss_mb=R user_seconds=U sys_seconds=S".
  if [ -f "$last/sender.measure" ]; then read -r s_cpu s_rss s_usr s_sys < <(sed -E 's/[a-z_]+=//g' "$last/sender.measure"); fi
  if compgen -G "$last/r*/receiver.measure" >/dev/null; then
    read -r r_cpu r_rss r_usr r_sys < <(cat "$last"/r*/receiver.measure | sed -E 's/[a-z_]+=//g' | awk '{c+=$1; if($2>m) m=$2; u+=$3; s+=$4; n++} END{printf "%.2f %d %.2f %.2f\n", c/n, m, u/n, s/n}')
  fi
  line="$line sender_cpu_s=$s_cpu sender_rss_mb=$s_rss recv_cpu_s_mean=$r_cpu recv_rss_mb_max=$r_rss load=$(cut -d' ' -f1 /proc/loadavg)"
  line="$line sender_user_s=${s_usr:-NA} sender_sys_s=${s_sys:-NA} recv_user_s_mean=${r_usr:-NA} recv_sys_s_mean=${r_sys:-NA}"
  # Each receiver's own finish, in seconds from the start (the harness prints only min-max):
  # the start is the earliest exit minus the harness's fin minimum. Receivers that did not
  # exit by themselves (killed, or uftpd, which the harness stops) are left out.
  local each=NA
  if compgen -G "$last/r*.exit" >/dev/null && [[ $line =~ fin=([0-9.]+)- ]]; then
    each=$(for f in "$last"/r*.exit; do n=${f##*/r}; read -r rc at < "$f"; if [ "$rc" = 0 ]; then echo "${n%.exit} $at"; fi; done | sort -n |
      awk -v fmin="${BASH_REMATCH[1]}" '{id[NR]=$1; t[NR]=$2; if (NR==1 || $2<m) m=$2} END{for(k=1;k<=NR;k++) printf "%sr%s:%.2f", (k>1?",":""), id[k], (t[k]-m)/1e6+fmin}')
  fi
  line="$line fin_each=${each:-NA}"
  echo "$line"
  [ -f "$tsv" ] || echo "# one row per run: the harness RESULT fields plus measure.sh CPU/RSS; see multicast.md" > "$tsv"
  echo "${line#RESULT }" | tr ' ' '\t' >> "$tsv"
  [ -n "${MC_KEEP:-}" ] || rm -rf "$last"
}

if [ "$cases" = scale ]; then
  # Larger groups only: N = 8 at this size, or N = 16 (use --size 256M: each receiver keeps a copy in memory).
  for n in ${SCALE_N:-8}; do for t in $tools; do run_case "$t" "$n" "${SCALE_LOSS:-0}"; done; done
  node "$here/summarize.mjs" "$tsv"
  exit 0
fi
if [ "$cases" != behaviour ]; then
  for n in 1 4; do for t in $tools; do run_case "$t" "$n" 0; done; done
  for loss in 1 5; do for t in $tools; do run_case "$t" 4 "$loss"; done; done
fi
if [ "$cases" = full ] && [[ " $tools " == *" rackcast "* ]]; then
  for loss in 0 1 5; do run_case rackcast-noseg 4 "$loss"; done
fi
CASE_LABEL=slow-r1-100mbit; for t in $tools; do run_case "$t" 4 0 --slow 1:100mbit; done
CASE_LABEL=kill-r1-3s; for t in $tools; do run_case "$t" 4 0 --kill 1:3; done
CASE_LABEL=late-r1-3s; for t in $tools; do RACKCAST_BENCH_LATE=1 run_case "$t" 4 0 --late 1:3; done
CASE_LABEL=plain
if [ "$cases" = full ]; then
  case " $tools " in *" uftp "*) run_case uftp-enc 1 0; run_case uftp-enc 4 0 ;; esac
  for t in $tools; do run_case "$t" 8 0; done
fi
node "$here/summarize.mjs" "$tsv"
