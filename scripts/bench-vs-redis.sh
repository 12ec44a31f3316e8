#!/usr/bin/env bash
# Aegisr vs Redis 7 on this machine, in one run: builds Aegisr (release), then runs
# bench_vs_redis.py, which starts both servers on loopback and alternates redis-benchmark
# rounds between them. Needs redis-server and redis-benchmark (Debian: redis-server,
# redis-tools). Options are passed through, e.g. --rounds 5 --markdown docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install redis-server redis-tools)" >&2; exit 1; }
done
cargo build --release --workspace >&2
exec python3 scripts/bench_vs_redis.py --aegisr target/release/aegisr-server "$@"
