#!/usr/bin/env bash
# Flow-control benchmarks with apps/backpressure_lab, RUNS times each, appended
# to bench/RESULTS.md as one table per benchmark:
#   - capacity of the lab pipeline (cost 10 us/record, local[2]);
#   - overload: a source at 10x capacity for SECONDS_PER_RUN s with default
#     settings: peak RSS, bytes queued, records lost (a graceful stop must
#     process every received record);
#   - a step from 0.5x to 3x capacity, credits alone and PID: settling time
#     (batches after the step until the scheduling delay stays under 2 batch
#     intervals) and overshoot (the largest scheduling delay after the step);
#   - parallel ingestion: 1, 2 and 4 receivers unioned, no rate limit.
#   RUNS=3 SECONDS_PER_RUN=60 bench/backpressure.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SECS=${SECONDS_PER_RUN:-60}
COST=10000
lab=build/bin/backpressure_lab
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)

# Column helpers over a lab CSV (header on line 1).
capacity() { awk -F, 'NR>1 && $4>0 && $6>0 {r+=$4; p+=$6} END {printf "%d", r*1000/p}' "$1"; }
peak_rss() { awk -F, 'NR>1 && $11>m {m=$11} END {printf "%.0f", m}' "$1"; }
peak_queued_mb() { awk -F, 'NR>1 && $10>m {m=$10} END {printf "%.1f", m/1048576}' "$1"; }
# Batches after the step (time >= $2) until the scheduling delay stays under $3 ms, and the overshoot.
settle() {
  awk -F, -v step="$2" -v bound="$3" 'NR>1 && $1>=step {n++; if ($7>=bound) last=n; if ($7>max) max=$7}
    END {printf "%d batches, overshoot %d ms", last, max}' "$1"
}
lost() { sed -n 's/.*, lost \([0-9-]*\) records.*/\1/p' "$1"; }
received_rate() { sed -n 's/.*received \([0-9]*\), processed.*/\1/p' "$1" | awk -v s="$2" '{printf "%.2f", $1/s/1e6}'; }

{
  echo
  echo "### $(date -u +%Y-%m-%d) — \`RUNS=$RUNS SECONDS_PER_RUN=$SECS bench/backpressure.sh\`, $(nproc) cores, $cpu"
  echo
  echo "Lab pipeline: \`backpressure_lab --cost-ns $COST\` (a filter that burns $COST ns of CPU per record, then count), local[2], 1 s batches."
  echo
  echo "| run | capacity rec/s | overload 10x for ${SECS} s: peak RSS MiB / peak queued MiB / lost | step 0.5x -> 3x, credits: settle / overshoot | step, PID | 1 / 2 / 4 receivers, M rec/s received |"
  echo "|---|---|---|---|---|---|"
} >> bench/RESULTS.md

for run in $(seq "$RUNS"); do
  "$lab" --schedule const:2000000 --cost-ns $COST --seconds 10 --csv "$out/cap.csv" 2>/dev/null
  cap=$(capacity "$out/cap.csv")
  "$lab" --schedule const:$((cap * 10)) --cost-ns $COST --seconds "$SECS" --csv "$out/over.csv" 2>"$out/over.log" >/dev/null
  overload="$(peak_rss "$out/over.csv") / $(peak_queued_mb "$out/over.csv") / $(lost "$out/over.log")"
  steps="steps:0=$((cap / 2)),10=$((cap * 3))"
  "$lab" --schedule "$steps" --cost-ns $COST --seconds 40 --mechanism credits --csv "$out/credits.csv" 2>/dev/null
  "$lab" --schedule "$steps" --cost-ns $COST --seconds 40 --mechanism pid --csv "$out/pid.csv" 2>/dev/null
  ingest=""
  for k in 1 2 4; do
    "$lab" --schedule const:50000000 --receivers $k --seconds 10 --csv "$out/r$k.csv" 2>"$out/r$k.log" >/dev/null
    ingest="$ingest$(received_rate "$out/r$k.log" 10) / "
  done
  echo "| $run | $cap | $overload | $(settle "$out/credits.csv" 10 2000) | $(settle "$out/pid.csv" 10 2000) | ${ingest% / } |" \
    | tee -a bench/RESULTS.md
done
