#!/usr/bin/env bash
# Fetches tftpd-hpa, the benchmark's peer, WITHOUT installing it (no service, no port 69 taken
# on this machine): `apt-get download` of tftpd-hpa and libwrap0 (which its in.tftpd links
# against), each unpacked with `dpkg -x` into var/cache/tftpd-hpa/root under the repository.
# The benchmark runs root/usr/sbin/in.tftpd in the foreground with LD_LIBRARY_PATH set.
# Prints the path of in.tftpd. Usage: scripts/bench/tftp/fetch-tftpd-hpa.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/../../.." && pwd)
cache=$repo/var/cache/tftpd-hpa
bin=$cache/root/usr/sbin/in.tftpd
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  (cd "$cache" && apt-get download tftpd-hpa libwrap0 >&2)
  for deb in "$cache"/tftpd-hpa_*.deb "$cache"/libwrap0_*.deb; do dpkg -x "$deb" "$cache/root"; done
fi
LD_LIBRARY_PATH=$cache/root/usr/lib/x86_64-linux-gnu "$bin" -V >&2
echo "$bin"
