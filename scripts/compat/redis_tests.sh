#!/usr/bin/env bash
# Runs Redis's own test suite (tests/unit of the Debian redis source, Redis 7.0) against an
# Aegisr server, in the suite's external-server mode: tests that need to start, restart or
# replicate servers skip themselves there; the rest talk to the server we start.
#
#   [AEGISR_FLAGS=...] [REDIS_TESTS_TAGS=...] scripts/compat/redis_tests.sh [AEGISR_BINARY] [UNIT...]
#
# REDIS_TESTS_TAGS: the suite's tag filter, `--tags -needs:repl` unless set; set it empty to
# run the tests that read the replication stream too (most of the rest of those need the
# node to become a replica with REPLICAOF, which a standalone Aegisr node refuses).
#
# REDIS_TESTS_SPAWN=1: the suite starts the servers itself, as it starts redis-server (from
# its redis.conf files, which Aegisr reads), so the tests that restart, reload or start
# several servers run too. Without it (the default) one node is started per unit and the
# suite runs in its external-server mode.
#
# Default binary: target/debug/aegisr-server; default units: the data types and the server's
# own units. Needs deb-src entries for apt-get source (added here if missing) and tclsh.
# Encodings are not compared (--ignore-encoding): Aegisr reports Redis 7.2's (small sets
# and lists are listpacks), where this suite expects 7.0's.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(realpath "${1:-$root/target/debug/aegisr-server}")
shift || true
units=("$@")
if [ ${#units[@]} -eq 0 ]; then
    units=(type/string type/incr type/hash type/set type/list type/zset type/stream type/stream-cgroups
        expire keyspace multi info latency-monitor acl tracking pubsub introspection introspection-2
        scripting functions bitops hyperloglog geo dump sort scan info-command protocol querybuf slowlog other)
fi
work=${REDIS_TESTS_DIR:-/tmp/redis-tests}
mkdir -p "$work"
if [ ! -d "$work"/redis-*/tests ]; then
    if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
        sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > /etc/apt/sources.list.d/debian-src.sources
        apt-get update -qq
    fi
    (cd "$work" && apt-get source --download-only redis >/dev/null && tar xzf redis_*.orig.tar.gz)
fi
suite=$(echo "$work"/redis-*/)
port=${PORT:-16399}
data=$(mktemp -d)
server=
trap 'kill $server 2>/dev/null; rm -rf "$data"' EXIT
# Each unit gets a fresh node: in external mode the suite changes the server's settings
# outside its tests (list.tcl raises proto-max-bulk-len to 10 GB before its skipped
# large-memory tests, which leaves protocol.tcl's "out of range bulk length" test waiting
# for 2 GB), and a failed test leaves its own settings behind.
start_node() {
    rm -rf "$data" && mkdir -p "$data"
    printf 'enable-debug-command = "yes"\n' > "$data/aegisr.toml"
    # AEGISR_FLAGS: more server flags, e.g. "--threads 1" to rule out races between the
    # suite's connections (it often sends on one and reads on another without waiting).
    # shellcheck disable=SC2086
    "$binary" --port "$port" --grpc-port 0 --metrics-port -1 --dir "$data" \
        --config "$data/aegisr.toml" ${AEGISR_FLAGS:-} > "$data/aegisr.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
}
stop_node() {
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null || true
}
cd "$suite"
: > "$work/last-run.txt"
if [ -n "${REDIS_TESTS_SPAWN:-}" ]; then
    # The suite runs src/redis-server CONFIG [ARGS]: Aegisr instead, without the unix
    # socket the suite adds (Aegisr listens on TCP only) and with its other ports free.
    mkdir -p src
    cat > src/redis-server <<WRAPPER
#!/bin/sh
case "\$1" in
--*|"") exec "$binary" "\$@" --grpc-port 0 --metrics-port -1 ;;
esac
conf="\$1"; shift
grep -v '^unixsocket' "\$conf" > "\$conf.aegisr"
exec "$binary" "\$conf.aegisr" "\$@" --grpc-port 0 --metrics-port -1
WRAPPER
    chmod +x src/redis-server
    ln -sf "$(command -v redis-cli)" src/redis-cli
    ln -sf "$(command -v redis-benchmark)" src/redis-benchmark
    for unit in "${units[@]}"; do
        ./runtest --clients 1 --durable --ignore-encoding --timeout 120 --single "unit/$unit" |
            sed -u 's/\x1b\[[0-9;]*m//g' | tee -a "$work/last-run.txt" | grep -E '^\[(err|exception)\]' || true
    done
    rm -f src/redis-server src/redis-cli src/redis-benchmark
    echo "passed: $(grep -c '^\[ok\]' "$work/last-run.txt"), failed: $(grep -cE '^\[(err|exception)\]' "$work/last-run.txt") (full output: $work/last-run.txt)"
    exit 0
fi
for unit in "${units[@]}"; do
    start_node
    # --timeout: a test waiting for a reply Aegisr never sends fails after 2 minutes, not
    # the suite's default 20; sed -u keeps last-run.txt current while the suite runs.
    ./runtest --host 127.0.0.1 --port "$port" --clients 1 --durable --ignore-encoding ${REDIS_TESTS_TAGS---tags -needs:repl} \
        --timeout 120 --single "unit/$unit" | sed -u 's/\x1b\[[0-9;]*m//g' | tee -a "$work/last-run.txt" |
        grep -E '^\[(err|exception)\]' || true
    stop_node
done
echo "passed: $(grep -c '^\[ok\]' "$work/last-run.txt"), failed: $(grep -cE '^\[(err|exception)\]' "$work/last-run.txt") (full output: $work/last-run.txt)"
