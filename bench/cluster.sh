#!/usr/bin/env bash
# The cluster rows of bench/RESULTS.md, appended (also run by bench/run.sh):
#   RUNS=3 bench/cluster.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
# Worker processes: the README's word count over TCP (2 M lines, 200 ms
# batches) in local[2] and in local-cluster[2,1] on the same cores; bytes
# sent between processes (from the logs: the driver's blocks and results, the
# workers' blocks and map outputs to each other), and how long after the
# driver listened both workers had registered (process start included).
# "+ state": the counts also feed update_state_by_key, kept on the workers.
# "one copy (_1)": the receiver's storage level without _2, so no block is
# copied to a second worker (the other rows copy each one: the default).
{
  echo
  echo "#### Worker processes: word count over TCP, 2 M lines, 200 ms batches (\`rill_bench_cluster_wordcount\`), $(lscpu | sed -n 's/^Model name: *//p')"
  echo
  echo "| master | program | M lines/s end to end | batch total delay p50 / p99 ms | bytes driver → workers per line | bytes workers → driver per line | bytes worker → worker per line | workers registered after ms |"
  echo "|---|---|---|---|---|---|---|---|"
} >> bench/RESULTS.md
ms_of() { date -d "$(echo "$1" | sed -n 's/^\[\([^]]*\)\].*/\1/p')" +%s%3N; }
for run in $(seq "$RUNS"); do
  for program in wordcount "+ state" "one copy (_1)"; do
  for m in 'local[2]' 'local-cluster[2,1]'; do
    state_args=()
    state_dir=""
    if [ "$program" = "+ state" ]; then state_dir=$(mktemp -d); state_args=(--state "$state_dir"); fi
    # The socket receiver's blocks: two copies (the default, _2) or one.
    if [ "$program" = "one copy (_1)" ]; then state_args=(--replicas 1); fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    log=$(mktemp)
    result=$(build/bin/rill_bench_cluster_wordcount --port "$port" --lines 2000000 "${state_args[@]}" --master "$m" 2>"$log" | grep '^RESULT')
    rate=$(echo "$result" | sed -n 's/.*lines_per_s=\([0-9]*\).*/\1/p')
    p50=$(echo "$result" | sed -n 's/.*p50_ms=\([0-9]*\).*/\1/p')
    p99=$(echo "$result" | sed -n 's/.*p99_ms=\([0-9]*\).*/\1/p')
    to=$(sed -n 's/.*tasks ran on workers; \([0-9]*\) bytes of batch inputs.*/\1/p' "$log")
    back=$(sed -n 's/.*bytes of batch inputs sent to them, \([0-9]*\) bytes.*/\1/p' "$log")
    between=$(sed -n 's/.*exiting (ran [0-9]* tasks, sent \([0-9]*\) bytes.*/\1/p' "$log" | awk '{ s += $1 } END { if (NR) print s }')
    registered="–"
    if grep -q 'workers registered' "$log"; then
      registered=$(( $(ms_of "$(grep 'listens for workers' "$log")") - 0 ))
      registered=$(( $(ms_of "$(grep 'workers registered' "$log")") - registered ))
    fi
    per_line() { [ -n "$1" ] && awk -v b="$1" 'BEGIN { printf "%.1f", b / 2000000 }' || echo "–"; }
    echo "| $m | $program | $(awk -v r="$rate" 'BEGIN { printf "%.2f", r / 1e6 }') | $p50 / $p99 | $(per_line "$to") | $(per_line "$back") | $(per_line "$between") | $registered |" \
      | tee -a bench/RESULTS.md
    rm -f "$log"
    if [ -n "$state_dir" ]; then rm -rf "$state_dir"; fi
  done
  done
done
