#!/usr/bin/env bash
# The folders' dependency direction (DESIGN.md, "Layout"): the basics in
# runtime/base include nothing of Rill's outside runtime/base. Prints each
# include that breaks the rule and fails when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -Hn '#include "' runtime/base/*.hpp runtime/base/*.cpp | grep -v '#include "runtime/base/' || true)
if [ -n "$bad" ]; then
  echo "runtime/base includes from above it:"
  echo "$bad"
  exit 1
fi
echo "runtime/base includes only runtime/base"
