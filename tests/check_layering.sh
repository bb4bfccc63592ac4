#!/usr/bin/env bash
# The folders depend one way (docs/design.md, "Layout"). Each folder has a
# rank; a file may include files of its own folder or of a folder ranked
# below it, never beside or above. There are no exceptions: a file in a folder
# the table does not name fails too, so a new folder gets a rank first.
#
#   0 runtime/base       untyped basics: time, config, codecs, files, the WAL
#   1 receivers          Receiver<T> and what feeds a block: text chunks, codecs
#   2 operators/rdd      RDD<T>, its node and every RDD (narrow, shuffled, BlockRDD)
#   3 operators/dstream  DStreamBase/DStreamNode, the graph and every DStream
#   4 actors             the engine: CAF actors and what they share
#   4 runtime/ui         the web UI and REST API (reads listener events only)
#   5 runtime            the façade: StreamingContext, DStream<T>, rill.hpp
#   6 apps               programs built on the façade (apps/lab among them)
#   7 bench, tests       programs too; they may share helpers with each other
#
# Prints each include that breaks the order and fails when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."

rank_of() {  # the rank of a path's folder, longest prefix first; "" if none
  case "$1" in
    runtime/base/*) echo 0 ;;
    runtime/ui/*) echo 4 ;;
    runtime/*/*) echo "" ;;
    runtime/*) echo 5 ;;
    receivers/*/*) echo "" ;;
    receivers/*) echo 1 ;;
    operators/rdd/*) echo 2 ;;
    operators/dstream/*) echo 3 ;;
    actors/*/*) echo "" ;;
    actors/*) echo 4 ;;
    apps/*) echo 6 ;;
    bench/* | tests/*) echo 7 ;;
    *) echo "" ;;
  esac
}

bad=0
while IFS= read -r file; do
  [ -f "$file" ] || continue  # deleted in the work tree, not yet in the index
  from=$(rank_of "$file")
  if [ -z "$from" ]; then
    echo "$file: its folder has no rank in tests/check_layering.sh"
    bad=1
    continue
  fi
  while IFS= read -r line; do
    target=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<< "$line")
    case "$target" in */*) ;; *) continue ;; esac    # "x.hpp": its own folder
    [ "$(dirname "$target")" = "$(dirname "$file")" ] && continue
    to=$(rank_of "$target")
    [ -n "$to" ] && [ "$from" -ge 6 ] && [ "$to" -le "$from" ] && continue  # programs share
    if [ -z "$to" ] || [ "$to" -ge "$from" ]; then
      echo "$file (rank $from) includes $target (rank ${to:-none})"
      bad=1
    fi
  done < <(grep -E '^\s*#\s*include "' "$file" || true)
done < <(git ls-files --cached --others --exclude-standard 'runtime/*' 'receivers/*' 'operators/*' 'actors/*' 'apps/*' 'bench/*' 'tests/*' |
         grep -E '\.(hpp|cpp|h)$')

if [ "$bad" -ne 0 ]; then
  echo "includes that point up or sideways: see the rank table in tests/check_layering.sh"
  exit 1
fi
echo "every include points to its own folder or a lower rank"
