#!/usr/bin/env bash
# Provisions the Vagrant boot-server VM: Node.js 20, Rackcast's own set-up, a config for the
# private boot network, and a systemd service. Runs as root inside the VM; safe to re-run.
# Usage: provision-server.sh <server-ip-on-boot-network>
set -euo pipefail
SERVER_IP=${1:?server ip}
APP=/opt/rackcast
NODE_VERSION=20.19.5

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates curl xz-utils iproute2 >/dev/null

# Debian 12 ships Node 18; Rackcast needs 20. The official build, checked against its SHASUMS.
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  tarball=node-v$NODE_VERSION-linux-x64.tar.xz
  cd /tmp
  curl -fsSLO "https://nodejs.org/dist/v$NODE_VERSION/$tarball"
  curl -fsSL "https://nodejs.org/dist/v$NODE_VERSION/SHASUMS256.txt" | grep " $tarball\$" | sha256sum -c -
  tar -xJf "$tarball" -C /usr/local --strip-components=1
fi

# The interface that carries the boot network's address.
BOOT_IF=$(ip -o -4 addr show | awk -v ip="$SERVER_IP" '$4 ~ "^"ip"/" {print $2; exit}')
[ -n "$BOOT_IF" ] || { echo "no interface has $SERVER_IP" >&2; exit 1; }

mkdir -p /etc/rackcast /var/lib/rackcast
cat > /etc/rackcast/config.yaml <<CFG
# Written by scripts/vagrant/provision-server.sh; every key is documented in config/default.yaml.
store: { dir: /var/lib/rackcast/store }
http: { host: 0.0.0.0, port: 8080 }
boot: { interface: $BOOT_IF, address: $SERVER_IP }
dhcp:
  mode: full
  range: { start: 10.77.0.100, end: 10.77.0.199, prefixLength: 24, leaseSeconds: 3600, router: "", dns: [] }
multicast: { interface: $SERVER_IP }
CFG

cd "$APP"
bash scripts/setup.sh
scripts/build-preboot

cat > /etc/systemd/system/rackcast.service <<UNIT
[Unit]
Description=Rackcast boot server
After=network-online.target
Wants=network-online.target

[Service]
WorkingDirectory=$APP
ExecStart=/usr/local/bin/node server/bin/rackcast.js serve --config /etc/rackcast/config.yaml
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now rackcast.service
systemctl restart rackcast.service
echo "Rackcast is serving on http://$SERVER_IP:8080 (boot interface $BOOT_IF)"
