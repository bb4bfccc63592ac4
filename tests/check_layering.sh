#!/usr/bin/env bash
# The folders' dependency direction (DESIGN.md, "Layout"): the basics in
# runtime/base include nothing of Rill's outside runtime/base, and the
# engine's rooms (operators, receivers, actors) never include the typed
# façade above them (streaming_context.hpp, dstream.hpp, rill.hpp). Prints
# each include that breaks a rule and fails when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(grep -Hn '#include "' runtime/base/*.hpp runtime/base/*.cpp | grep -v '#include "runtime/base/' || true)
if [ -n "$bad" ]; then
  echo "runtime/base includes from above it:"
  echo "$bad"
  exit 1
fi
up=$(grep -Hn '#include "runtime/\(streaming_context\|dstream\|rill\)\.hpp"' operators/* receivers/* actors/* || true)
if [ -n "$up" ]; then
  echo "the engine includes the façade above it:"
  echo "$up"
  exit 1
fi
echo "runtime/base includes only runtime/base; operators, receivers and actors do not include the façade"
