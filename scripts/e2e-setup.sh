#!/usr/bin/env bash
# Prepares the real-browser tests in e2e/: the Debian `chromium` package (through apt, only when
# missing) and the npm packages pinned in e2e/package-lock.json (`npm ci`, only when node_modules
# is missing or older than the lock file). Idempotent: a second run does nothing.
# Playwright never downloads a browser: the tests drive /usr/bin/chromium through playwright-core.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

# Like apt_install in lib.sh, but waits for a dpkg lock held by another apt run instead of failing.
if ! dpkg-query -W -f='${Status}' chromium 2>/dev/null | grep -q "install ok installed"; then
  echo "==> installing Debian package: chromium"
  if [ -z "${MARQUEE_APT_UPDATED:-}" ]; then
    as_root apt-get -o DPkg::Lock::Timeout=600 update -qq
    export MARQUEE_APT_UPDATED=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    --no-install-recommends chromium >/dev/null
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "/usr/bin/chromium is missing even though the chromium package is installed" >&2
  exit 1
fi

for tool in node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "$tool not found: install Node.js 20 or newer (with npm) and run this again" >&2
    exit 1
  fi
done
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "Node.js $(node --version) is too old: the e2e tests need Node.js 20 or newer" >&2
  exit 1
fi

# `npm ci` when node_modules is missing or older than the lock file (npm ci touches node_modules).
if [ ! -d e2e/node_modules ] || [ e2e/package-lock.json -nt e2e/node_modules ]; then
  echo "==> npm ci (e2e/)"
  (cd e2e && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  touch e2e/node_modules
fi
echo "e2e ready: chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), node $(node --version)"
