#!/usr/bin/env bash
# Checks that a project outside the Rill tree can use it both ways:
#   install  — install Rill from BUILD_DIR into a scratch prefix, then find_package(rill);
#   subdirectory — add_subdirectory(<rill source>) in the project itself.
# Each builds tests/package/main.cpp and runs it.
set -euo pipefail
build_dir=$1
mode=${2:-install}
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
scratch="$build_dir/package-check-$mode"
rm -rf "$scratch"
if [ "$mode" = install ]; then
  cmake --install "$build_dir" --prefix "$scratch/prefix" > /dev/null
  cmake -S "$here" -B "$scratch/build" -DCMAKE_PREFIX_PATH="$scratch/prefix" > /dev/null
else
  cmake -S "$here/subdirectory" -B "$scratch/build" -DRILL_SOURCE_DIR="$source_dir" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
fi
cmake --build "$scratch/build" --target consumer -j2 > /dev/null
"$scratch/build/consumer" 2>/dev/null
echo "rill used through $mode: consumer built and ran"
