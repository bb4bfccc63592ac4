#!/usr/bin/env bash
# Runs every benchmark configuration in a process of its own (so RSS is per
# configuration), RUNS times each, and appends the rows to bench/RESULTS.md.
#   RUNS=3 SECONDS_PER_RUN=10 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SECS=${SECONDS_PER_RUN:-10}
bin=build/bin/rill_bench
header() {
  echo
  echo "#### $1"
  echo
  echo "| workload | records | master | Rill M lines/s | capacity M lines/s | limit M lines/s | capacity / limit | total delay p50 / p95 / p99 / max ms | RSS / peak MiB | batches |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
}
{
  echo
  echo "### $(date -u +%Y-%m-%d) — \`RUNS=$RUNS SECONDS_PER_RUN=$SECS bench/run.sh\`, $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
  header "In-memory corpus, 1 s batches"
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
header "Grep over TCP from linegen on 127.0.0.1 (limit: the memchr kernel over the corpus in memory on 2 threads; the records column says what a plain reader gets from the same linegen)" >> bench/RESULTS.md
for run in $(seq "$RUNS"); do
  "$bin" --seconds "$SECS" --source tcp --records owned --workloads grep --masters 'local[2]' 2>/dev/null \
    | grep "^| grep" | tee -a bench/RESULTS.md
done
header "WordCount, 100 ms batches, input held at 1 M lines/s" >> bench/RESULTS.md
for run in $(seq "$RUNS"); do
  "$bin" --seconds "$SECS" --batch 100 --wordcount-rate 1000000 --workloads wordcount --masters 'local[2]' 2>/dev/null \
    | grep "^| wordcount" | tee -a bench/RESULTS.md
done
echo >> bench/RESULTS.md
echo "#### Windows and state (\`build/bin/rill_bench_state\`, manual clock, µs to compute each batch)" >> bench/RESULTS.md
for run in $(seq "$RUNS"); do
  build/bin/rill_bench_state --out bench/RESULTS.md 2>/dev/null | tail -1
done
# The programs users write, end to end: 1 s batches at the defaults, and
# 200 ms batches with the in-flight bound raised (reception and processing
# overlap; see the README on what the bound costs).
build/bin/rill_bench_user_wordcount --runs "$RUNS" --out bench/RESULTS.md 2>/dev/null
build/bin/rill_bench_user_wordcount --runs "$RUNS" --batch-ms 200 \
  --set rill.streaming.receiver.maxBytesInFlight=8g --out bench/RESULTS.md 2>/dev/null
build/bin/rill_bench_hash_table --runs "$RUNS" --out bench/RESULTS.md
build/bin/rill_bench_store --runs "$RUNS" --out bench/RESULTS.md 2>/dev/null
# Recovery: restart after kill -9 with 1 M keys of state, metadata checkpoint
# cost; the receivers' write-ahead log on and off (the README's program over
# TCP, 200 ms batches).
build/bin/rill_bench_recovery --keys 1000000 --runs "$RUNS" --out bench/RESULTS.md 2>/dev/null
wal_dir=$(mktemp -d)
build/bin/rill_bench_user_wordcount --runs "$RUNS" --batch-ms 200 --program split --source tcp --local-threads 2 \
  --set rill.streaming.receiver.maxBytesInFlight=8g --out bench/RESULTS.md 2>/dev/null
build/bin/rill_bench_user_wordcount --runs "$RUNS" --batch-ms 200 --program split --source tcp --local-threads 2 \
  --set rill.streaming.receiver.maxBytesInFlight=8g --checkpoint-dir "$wal_dir" \
  --set rill.streaming.receiver.writeAheadLog.enable=true --out bench/RESULTS.md 2>/dev/null
rm -rf "$wal_dir"
# Worker processes (local[2] against local-cluster[2,1]): bench/cluster.sh.
RUNS="$RUNS" bench/cluster.sh
# Losing a worker: detection and the first batch without it (bench/worker_loss.sh).
RUNS="$RUNS" bench/worker_loss.sh
