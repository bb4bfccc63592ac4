#!/usr/bin/env bash
# Runs every benchmark configuration in a process of its own (so RSS is per
# configuration), RUNS times each, and appends the rows to bench/RESULTS.md.
#   RUNS=3 SECONDS_PER_RUN=10 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-1}
SECS=${SECONDS_PER_RUN:-10}
bin=build/bin/rill_bench
{
  echo
  echo "### $(date -u +%Y-%m-%d) — \`RUNS=$RUNS SECONDS_PER_RUN=$SECS bench/run.sh\`, $(nproc) cores"
  echo
  echo "| workload | records | master | Rill M lines/s | capacity M lines/s | limit M lines/s | capacity / limit | total delay p50 / p95 / p99 / max ms | RSS / peak MiB | batches |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} >> bench/RESULTS.md
for run in $(seq "$RUNS"); do
  for w in grep wordcount; do
    for m in 'local[1]' 'local[2]'; do
      for r in view owned; do
        "$bin" --seconds "$SECS" --workloads "$w" --masters "$m" --records "$r" 2>/dev/null \
          | grep "^| $w" | tee -a bench/RESULTS.md
      done
    done
  done
done
