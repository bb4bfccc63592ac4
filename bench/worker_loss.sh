#!/usr/bin/env bash
# Losing a worker, timed (rows appended to bench/RESULTS.md; also run by bench/run.sh):
#   RUNS=3 bench/worker_loss.sh
#
# A driver and three workers (rill://127.0.0.1, one core each) run the test
# word count (tests/programs/wordcount_app.cpp, with its second shuffle so that
# every worker holds map outputs) over a socket source sending 20,000 lines/s
# in 200 ms batches. Three seconds in, a worker that holds no receiver gets
# SIGKILL or SIGSTOP. From the driver's log:
#   detected: the signal to the driver's "worker ... is gone";
#   first batch: the signal to the first batch completed after that.
# With update_state_by_key (checkpointed every 15 batches), the victim's
# state slot is computed again from the checkpoint on another worker before
# that first batch completes.
# SIGSTOP is found only by heartbeats: with the defaults (1 s / 10 s) and with
# rill.cluster.heartbeatInterval=100ms, heartbeatTimeout=1s. Then a worker
# stopped for 3 s only (a straggler), with and without rill.speculation.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
stall_rows=()
APP=build/bin/rill_test_wordcount
[ -x "$APP" ] || { echo "build first: $APP is missing" >&2; exit 1; }

ms_of() { date -d "$(echo "$1" | sed -n 's/^\[\([^]]*\)\].*/\1/p')" +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Waits (up to $3 seconds) until file $1 has a line matching $2.
wait_for_line() {
  for _ in $(seq $(( $3 * 20 ))); do
    grep -q -- "$2" "$1" && return 0
    sleep 0.05
  done
  echo "timed out waiting for '$2' in $1" >&2
  return 1
}

# Ends what run started: the driver (SIGTERM), the workers, the source
# (run's locals, seen here through bash's dynamic scope).
stop_run() {
  kill -TERM "$driver_pid"
  wait "$driver_pid" || true
  for w in "${workers[@]}"; do kill -9 "$w" 2> /dev/null || true; wait "$w" 2> /dev/null || true; done
  kill "$source_pid" 2> /dev/null || true
  wait "$source_pid" 2> /dev/null || true
}

# run SIGNAL LABEL [--conf k=v ...]: prints "detected_ms first_batch_ms".
# run STALL LABEL [--conf k=v ...]: the worker is stopped for 3 s, then
# resumed (never declared lost: 30 s heartbeat timeout); prints the largest
# total delay of the batches completed in those 3 s and the second after,
# and how many completed.
run() {
  local signal=$1 label=$2
  shift 2
  local dir source_port driver_port
  dir=$(mktemp -d)
  source_port=$(free_port)
  driver_port=$(free_port)
  python3 - "$source_port" 40 > /dev/null 2>&1 <<'EOF' &
import socket, sys, time
port, seconds = int(sys.argv[1]), float(sys.argv[2])
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(1)
conn, _ = server.accept()
start, i = time.monotonic(), 0
try:
    while time.monotonic() - start < seconds:
        # 1,000 lines every 50 ms: 20,000 lines/s
        lines = "".join("w%d w%d w%d\n" % ((i + k) % 37, ((i + k) * 7) % 23, (i + k) % 5) for k in range(1000))
        i += 1000
        conn.sendall(lines.encode())
        time.sleep(0.05)
except OSError:
    pass
EOF
  local source_pid=$!
  local app=(--socket "$source_port" --reshuffle 1 --conf rill.default.parallelism=3 "$@")
  "$APP" "${app[@]}" --master "rill://127.0.0.1:$driver_port" --conf rill.cluster.minWorkers=3 \
    --conf rill.ui.enabled=false > "$dir/driver.out" 2> "$dir/driver.err" &
  local driver_pid=$!
  local workers=()
  for k in 0 1 2; do
    "$APP" "${app[@]}" --worker --driver "127.0.0.1:$driver_port" --cores 1 > "$dir/w$k.out" 2> "$dir/w$k.err" &
    workers+=($!)
  done
  wait_for_line "$dir/driver.err" "3 workers registered" 30
  wait_for_line "$dir/driver.err" "placed on worker" 30
  local receiver_pid victim=""
  receiver_pid=$(sed -n 's/.*receiver of .* placed on worker .*\/\([0-9]*\)$/\1/p' "$dir/driver.err" | head -1)
  for w in "${workers[@]}"; do [ "$w" != "$receiver_pid" ] && { victim=$w; break; }; done
  sleep 3
  local t_signal
  t_signal=$(date +%s%3N)
  if [ "$signal" = STALL ]; then
    kill -STOP "$victim"
    sleep 3
    kill -CONT "$victim"
    sleep 1
    local worst=0 completed=0
    while IFS= read -r line; do
      local t delay
      t=$(ms_of "$line")
      [ "$t" -ge "$t_signal" ] || continue
      delay=$(echo "$line" | sed -n 's/.*total delay \([0-9]*\) ms.*/\1/p')
      completed=$(( completed + 1 ))
      [ "$delay" -gt "$worst" ] && worst=$delay
    done < <(grep -E '\] batch [0-9]+ ms: [0-9]+ records' "$dir/driver.err")
    stop_run
    echo "$worst $completed"
    rm -rf "$dir"
    return
  fi
  kill "-$signal" "$victim"
  wait_for_line "$dir/driver.err" "pid $victim) is gone" 60
  local gone t_gone t_first=""
  gone=$(grep "pid $victim) is gone" "$dir/driver.err" | head -1)
  t_gone=$(ms_of "$gone")
  for _ in $(seq 100); do
    while IFS= read -r line; do
      local t
      t=$(ms_of "$line")
      if [ "$t" -ge "$t_gone" ]; then t_first=$t; break; fi
    done < <(grep -E '\] batch [0-9]+ ms: [0-9]+ records' "$dir/driver.err")
    [ -n "$t_first" ] && break
    sleep 0.05
  done
  [ "$signal" = STOP ] && kill -CONT "$victim"
  stop_run
  echo "$(( t_gone - t_signal )) $(( ${t_first:-$t_gone} - t_signal ))"
  rm -rf "$dir"
}

{
  echo
  echo "#### Losing a worker: driver + 3 workers, word count at 20,000 lines/s, 200 ms batches (\`bench/worker_loss.sh\`), $(lscpu | sed -n 's/^Model name: *//p')"
  echo
  echo "| signal | heartbeats (interval / timeout) | signal → detected, ms | signal → first batch completed after, ms |"
  echo "|---|---|---|---|"
} >> bench/RESULTS.md
for r in $(seq "$RUNS"); do
  for spec in false true; do
    read -r worst completed < <(run STALL stall --conf rill.cluster.heartbeatTimeout=30s --conf "rill.speculation=$spec")
    stall_rows+=("| $spec | $worst | $completed |")
  done
  read -r d f < <(run KILL default)
  echo "| SIGKILL | 1 s / 10 s (defaults) | $d | $f |" | tee -a bench/RESULTS.md
  state_dir=$(mktemp -d)
  read -r d f < <(run KILL state --state "$state_dir" --checkpoint-batches 15)
  rm -rf "$state_dir"
  echo "| SIGKILL, + update_state_by_key (its slot computed again) | 1 s / 10 s (defaults) | $d | $f |" | tee -a bench/RESULTS.md
  read -r d f < <(run STOP default)
  echo "| SIGSTOP | 1 s / 10 s (defaults) | $d | $f |" | tee -a bench/RESULTS.md
  read -r d f < <(run STOP fast --conf rill.cluster.heartbeatInterval=100ms --conf rill.cluster.heartbeatTimeout=1s)
  echo "| SIGSTOP | 100 ms / 1 s | $d | $f |" | tee -a bench/RESULTS.md
done
{
  echo
  echo "A worker stopped for 3 s, then resumed (30 s heartbeat timeout, so never declared lost): the largest batch total delay in those 4 s, and the batches completed."
  echo
  echo "| rill.speculation | largest total delay, ms | batches completed in 4 s |"
  echo "|---|---|---|"
  printf '%s\n' "${stall_rows[@]}"
} | tee -a bench/RESULTS.md
