#!/usr/bin/env bash
# Installs what Rill needs, when missing; safe to run again; uses sudo when
# not root.
#   ./setup.sh          the Debian packages to build Rill and run its programs
#   ./setup.sh --test   those, and what the tests add: Chromium and
#                       Prometheus' Python parser (Debian), playwright-core
#                       (npm, into build/test-node; no browser download)
set -euo pipefail
cd "$(dirname "$0")"
packages=(g++ cmake make ccache pkg-config libcaf-dev libspdlog-dev catch2
          libboost-serialization-dev zlib1g-dev libssl-dev netcat-openbsd gnuplot-nox
          libcpp-httplib-dev prometheus-cpp-dev nlohmann-json3-dev libjs-chart.js)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium python3-prometheus-client nodejs npm)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node and npm may come from elsewhere than Debian (a preinstalled Node 20).
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}")
  missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]:-}"
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ "${1:-}" = "--test" ] && [ ! -d build/test-node/node_modules/playwright-core ]; then
  echo "setup: installing playwright-core (npm) into build/test-node"
  npm install --prefix build/test-node --no-audit --no-fund --loglevel=error playwright-core@1 > /dev/null
fi
