#!/usr/bin/env bash
# Installs the Debian packages Hearth needs to build and test, when they are missing, and the
# browser test's npm package (tests/browser: playwright-core, pinned by its package-lock.json).
# Idempotent and quiet when everything is present.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libssl-dev openssl
  libleveldb-dev libsnappy-dev libtcmalloc-minimal4
  libboost-dev
  libcereal-dev
  catch2
  nlohmann-json3-dev
  libcli11-dev
  clang-14 libclang-rt-14-dev
  python3 curl procps
  chromium fonts-noto-cjk
)
# node and npm drive the browser test; any installed node >= 20 will do, else Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -ne 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: done"
fi

# The browser test's driver. It never downloads a browser of its own: the test runs Debian's
# chromium (PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD guards against any install script doing so).
if [ ! -d "$root/tests/browser/node_modules/playwright-core" ]; then
  echo "setup: npm ci --prefix tests/browser"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix "$root/tests/browser" --no-audit --no-fund --loglevel=error >/dev/null
fi
