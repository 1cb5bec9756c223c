#!/usr/bin/env bash
# Brings a checkout to a runnable state: Debian packages, npm packages, the TypeScript build.
# Called by `npm start` and `npm test`; each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "error: Rackcast needs Node.js 20 or newer (found $(node --version))" >&2
  exit 1
fi

bash scripts/install-deps.sh

# npm packages: install when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# The build is incremental: fast when nothing changed.
npx --no-install tsc -b

# The dashboard (server/ui, served at /): built when its build is missing or older than a source.
ui=server/ui
if [ ! -f $ui/dist/index.html ] || [ -n "$(find $ui/src $ui/index.html $ui/vite.config.ts $ui/tsconfig.json $ui/package.json -newer $ui/dist/index.html -print -quit)" ]; then
  echo "building the dashboard" >&2
  npm run --silent build -w $ui >&2
fi

# The preboot image machines boot (kernel + initramfs + agent), into var/preboot. Cached: it
# says "up to date" and returns in seconds when nothing changed.
node preboot-image/builder/dist/main.js >&2
