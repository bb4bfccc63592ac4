#!/usr/bin/env bash
# Installs the Debian packages Rill needs to build and test, when missing.
# Safe to run again; uses sudo when not root.
set -euo pipefail
packages=(g++ cmake make ccache pkg-config libcaf-dev libspdlog-dev catch2
          libboost-serialization-dev netcat-openbsd gnuplot-nox)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
