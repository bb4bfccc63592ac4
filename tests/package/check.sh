#!/usr/bin/env bash
# Installs Rill from BUILD_DIR into a scratch prefix, builds tests/package
# against it with find_package(rill), and runs the result.
set -euo pipefail
build_dir=$1
here=$(cd "$(dirname "$0")" && pwd)
scratch="$build_dir/package-check"
rm -rf "$scratch"
cmake --install "$build_dir" --prefix "$scratch/prefix" > /dev/null
cmake -S "$here" -B "$scratch/build" -DCMAKE_PREFIX_PATH="$scratch/prefix" > /dev/null
cmake --build "$scratch/build" -j2 > /dev/null
"$scratch/build/consumer" 2>/dev/null
echo "find_package(rill) consumer built and ran"
