#!/usr/bin/env bash
# DHCP offers per second: Rackcast vs dnsmasq, side by side, driven by perfdhcp (Debian
# kea-admin). Two namespaces joined by a veth pair (no uplink: nothing leaves them); the
# server under test in one, perfdhcp in the other. Each scenario runs both servers one after
# the other at the same offered rates; throughput = OFFERs received / test period. Writes a
# markdown report (default results/dhcp.md) and prints it.
#
# Scenarios: full DHCP with 50 recurring clients and with 5000 distinct clients (DISCOVER →
# OFFER with an address and a boot file); ProxyDHCP for PXE clients (option 60 PXEClient,
# 93 = 0; the offer has no address, a boot file and PXE options).
#
# full-dora-1000: the whole DISCOVER-OFFER-REQUEST-ACK with 1000 clients; the rate counted is
# ACKs, and Rackcast commits each lease to LevelDB (synced) before it ACKs (RFC 2131 §4.3.2).
#
# Usage: scripts/bench/dhcp/run-dhcp.sh [--period 8] [--rates "5000 25000"] [--reps 3]
#          [--scenarios "full-50 full-5000 proxy-pxe full-dora-1000"] [--out FILE]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
period=8
rates="5000 25000"
reps=3
scenarios="full-50 full-5000 proxy-pxe full-dora-1000"
out=$here/../results/dhcp.md
while [ $# -gt 0 ]; do
  case $1 in
    --period) period=$2; shift ;;
    --rates) rates=$2; shift ;;
    --reps) reps=$2; shift ;;
    --scenarios) scenarios=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
for tool in perfdhcp dnsmasq ip; do command -v $tool >/dev/null || { echo "$tool missing: run scripts/install-deps.sh" >&2; exit 1; }; done
[ "$(id -u)" -eq 0 ] || { echo "needs root (network namespaces)" >&2; exit 1; }
[ -f "$root/server/dist/index.js" ] || { echo "build first: npx tsc -b" >&2; exit 1; }

S=rcdhcpb-s C=rcdhcpb-c
work=$(mktemp -d /tmp/rackcast-dhcp-bench-XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  ip netns del $S 2>/dev/null || true
  ip netns del $C 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add $S
ip netns add $C
ip -n $S link add dbs0 type veth peer name dbc0 netns $C
ip -n $S addr add 10.251.0.1/16 dev dbs0
ip -n $C addr add 10.251.0.2/16 dev dbc0
for ns in $S $C; do ip -n $ns link set lo up; done
ip -n $S link set dbs0 up
ip -n $C link set dbc0 up
sleep 1

range_json='{"start":"10.251.1.0","end":"10.251.250.255","prefixLength":16,"leaseSeconds":600,"router":"","dns":[]}'
# PXEClient:Arch:00000:UNDI:002001, arch 0, UNDI 2.1, a GUID: what a BIOS PXE ROM sends.
pxe_opts=(-o "60,$(printf 'PXEClient:Arch:00000:UNDI:002001' | od -An -tx1 | tr -d ' \n')" -o 93,0000 -o 94,010201 -o "97,00$(printf '5a%.0s' $(seq 16))")

start_server() { # tool mode
  local tool=$1 mode=$2
  rm -rf "$work/store" "$work/dnsmasq.leases"
  if [ "$tool" = dnsmasq ]; then
    local range=(--dhcp-range=10.251.1.0,10.251.250.255,255.255.0.0,10m --dhcp-boot=undionly.kpxe)
    [ "$mode" = proxy ] && range=(--dhcp-range=10.251.0.0,proxy,255.255.0.0 --pxe-service=x86PC,Rackcast,undionly)
    ip netns exec $S dnsmasq --keep-in-foreground --port=0 --interface=dbs0 --bind-interfaces "${range[@]}" \
      --dhcp-lease-max=100000 --no-ping --dhcp-leasefile="$work/dnsmasq.leases" --user=root --quiet-dhcp \
      --log-facility=- --dhcp-option=option:router >"$work/server.log" 2>&1 &
    server_pid=$!
    sleep 1
  else
    ip netns exec $S node "$here/rackcast-dhcp.mjs" \
      "{\"mode\":\"$mode\",\"interfaceName\":\"dbs0\",\"serverAddress\":\"10.251.0.1\",\"storeDir\":\"$work/store\",\"range\":$range_json}" \
      >"$work/server.out" 2>"$work/server.log" &
    server_pid=$!
    for _ in $(seq 100); do grep -q READY "$work/server.out" 2>/dev/null && break; sleep 0.1; done
    grep -q READY "$work/server.out" || { cat "$work/server.log" >&2; exit 1; }
  fi
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# One perfdhcp run; prints: sent received drops% avg_delay_ms (of the last exchange: OFFERs with
# -i, ACKs for a full DORA exchange).
measure() { # rate clients extra-args...
  local rate=$1 clients=$2; shift 2
  local text
  text=$(ip netns exec $C timeout $((period + 20)) perfdhcp -4 -l dbc0 -r "$rate" -R "$clients" -p "$period" "$@" 2>&1 || true)
  echo "$text" >>"$work/perfdhcp.log"
  awk '/^sent packets:/{s=$3} /^received packets:/{r=$3} /^drops ratio:/{d=$3} /^avg delay:/{a=$3} END{printf "%s %s %s %s\n", s+0, r+0, d+0, a+0}' <<<"$text"
}

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END{ if (NR == 0) print 0; else if (NR % 2) print a[(NR+1)/2]; else printf "%.0f\n", (a[NR/2]+a[NR/2+1])/2 }'; }

rows=()
for scenario in $scenarios; do
  case $scenario in
    full-50) mode=full clients=50 extra=(-i) ;;
    full-5000) mode=full clients=5000 extra=(-i) ;;
    proxy-pxe) mode=proxy clients=1000 extra=(-i "${pxe_opts[@]}") ;;
    full-dora-1000) mode=full clients=1000 extra=() ;;
  esac
  for rate in $rates; do
    declare -A ops=() drop=() delay=()
    # Alternate the servers, $reps runs each, so load from elsewhere falls on both alike.
    for rep in $(seq "$reps"); do
      for tool in dnsmasq rackcast; do
        start_server $tool $mode
        read -r sent recv drops avg < <(measure "$rate" "$clients" "${extra[@]}")
        stop_server
        per=$(awk -v r="$recv" -v p="$period" 'BEGIN{printf "%.0f", r/p}')
        ops[$tool]+="$per "; drop[$tool]+="$drops "; delay[$tool]+="$avg "
        echo "$scenario rate=$rate run $rep $tool: $per/s (sent $sent, received $recv, drops $drops %, avg delay $avg ms)" >&2
      done
    done
    for tool in dnsmasq rackcast; do
      rows+=("| $scenario | $rate | $tool | $(echo "${ops[$tool]}" | median) | ${ops[$tool]% } | $(echo "${drop[$tool]}" | tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') | $(echo "${delay[$tool]}" | tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') |")
    done
    ratio=$(awk -v a="$(echo "${ops[rackcast]}" | median)" -v b="$(echo "${ops[dnsmasq]}" | median)" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }')
    rows+=("| $scenario | $rate | **rackcast / dnsmasq** | **$ratio** | | | |")
    unset ops drop delay
  done
done

{
  echo "# DHCP offers per second: Rackcast vs dnsmasq"
  echo
  echo "\`scripts/bench/dhcp/run-dhcp.sh --period $period --rates \"$rates\" --reps $reps\`, $(date -u +%Y-%m-%d), $(nproc) shared cores, $(uname -r), Node $(node --version), dnsmasq $(dnsmasq --version | head -1 | awk '{print $3}'), perfdhcp $(perfdhcp -v 2>&1 | awk '{print $2}'); load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "perfdhcp in one namespace, the server in another, over a veth pair; perfdhcp, the server and other work share the cores, so compare ratios, not absolute numbers."
  echo "Both servers: no ping check, no per-packet logging (dnsmasq \`--quiet-dhcp\`; Rackcast logs offers at debug, runs at info), offer a boot file (full) or the PXE boot service (proxy)."
  echo
  echo "DISCOVER → OFFER only (\`perfdhcp -i\`) except full-dora-1000 (REQUEST → ACK counted). Each cell: the median of $reps runs of $period s, the two servers alternating; the runs are listed."
  echo
  echo "| scenario | offered/s | server | replies/s (median) | runs | drops % (median) | avg delay ms (median) |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} >"$out"
cat "$out"
