#!/usr/bin/env bash
# Overhead of per-command metrics: two release binaries, one as built and one built with
# the metrics call taken out of `commands::execute` (the `metrics::clock::now()` stamp and
# the `metrics::record(...)` call), e.g.:
#   cp target/release/aegisr-server /tmp/aegisr-metrics-on
#   (remove those two lines) && cargo build --release --workspace
#   cp target/release/aegisr-server /tmp/aegisr-metrics-off && git checkout aegisr-server
# Server pinned to CPU 1, redis-benchmark to CPU 0; 5 alternating rounds; prints req/s and
# the server's CPU seconds for the 4M requests of each run.
set -u
ON=${1:-/tmp/aegisr-metrics-on}
OFF=${2:-/tmp/aegisr-metrics-off}
run() {
  local bin=$1 port=$2 dir
  dir=$(mktemp -d)
  taskset -c 1 "$bin" --port "$port" --grpc-port 0 --metrics-port -1 --persistence none --dir "$dir" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  taskset -c 0 redis-benchmark -p "$port" -t set,get -P 16 -c 50 -n 2000000 -r 100000 -d 32 --csv 2>/dev/null \
    | tail -2 | tr -d '"' | cut -d, -f1,2 | tr '\n' ' '
  awk '{printf "cpu=%.2fs", ($14+$15)/100}' "/proc/$pid/stat"
  kill "$pid"; wait "$pid" 2>/dev/null; rm -rf "$dir"
  echo
}
for _ in 1 2 3 4 5; do
  echo "on  $(run "$ON" 6471)"
  echo "off $(run "$OFF" 6472)"
done
