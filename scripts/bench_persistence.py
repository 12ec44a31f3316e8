#!/usr/bin/env python3
"""Persistence figures, Aegisr vs Redis 7 in the same run on the same machine.

Dataset: 1,000,000 keys `key:%010d` of 32 bytes plus 100,000 hashes of 10 fields.

1. Snapshot: BGSAVE on a loaded server while aegisr-bench runs a 1:1 SET/GET load
   (50 clients); snapshot time, peak resident memory during it against before (for Redis,
   the forked child's private pages are added to the parent's RSS), and the load's p99.9
   latency while snapshots run back to back against the same load without snapshots.
2. Recovery: time from process start until it answers PING (Redis: until `loading:0`),
   from a snapshot (Aegisr snapshot / Redis RDB) and from the log alone (Aegisr journal /
   Redis AOF without a rewrite).
3. Moving data (part `rdb`, not run by default): Redis's dump.rdb imported by Aegisr at start,
   and each server's dataset copied out with `redis-cli --rdb`.
4. Write throughput: `redis-benchmark -t set -c 50 -r 100000 -d 32 -P <p>` with
   appendfsync everysec and always, the two servers back to back in each round (order swapped
   every round); the ratio is the median of the rounds' ratios.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

from bench_vs_redis import Server, load_dataset, machine, resp, rss_bytes, wait_port, DATASETS

DATASETS["hashes10"] = DATASETS["hashes"]


def child_private_bytes(pid):
    """Private (copied) memory of the forked children of `pid` (Redis's BGSAVE child)."""
    total = 0
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            children = f.read().split()
    except OSError:
        return 0
    for child in children:
        try:
            with open(f"/proc/{child}/smaps_rollup") as f:
                for line in f:
                    if line.startswith(("Private_Clean:", "Private_Dirty:")):
                        total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def info(server, field, section="persistence"):
    text = server.cli("INFO", section)
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return line.split(":", 1)[1].strip()
    return None


def start_redis(port, dir, extra):
    return Server("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", dir, *extra], port)


def start_aegisr(binary, port, dir, extra):
    return Server("aegisr", [binary, "--port", str(port), "--grpc-port", "0", "--metrics-port", "-1", "--dir", dir,
                             "--save", "", *extra], port)


def load(server):
    load_dataset(server, "strings")
    load_dataset(server, "hashes")


def bench_latency(bench, port, seconds, out):
    result = subprocess.run([bench, "-p", str(port), "-c", "50", "--ratio", "set:get=1:1", "-r", "100000", "-d", "32",
                             "--test-time", str(seconds), "--json"], capture_output=True, text=True)
    out.append(json.loads(result.stdout)["total"])


def snapshot_figures(server, bench, seconds):
    """(snapshot seconds, RSS before, peak RSS, p99.9 with snapshots, p99.9 without)."""
    base = []
    bench_latency(bench, server.port, seconds, base)
    server.cli("MEMORY", "PURGE") if server.name == "aegisr" else None
    time.sleep(0.5)
    before = rss_bytes(server.proc.pid)
    during = []
    t = threading.Thread(target=bench_latency, args=(bench, server.port, seconds, during))
    t.start()
    time.sleep(0.3)
    durations, peak = [], before
    deadline = time.time() + seconds - 0.6
    while time.time() < deadline:
        saves = int(info(server, "rdb_saves") or 0) if server.name == "aegisr" else None
        started = time.time()
        server.cli("BGSAVE")
        time.sleep(0.005)
        while info(server, "rdb_bgsave_in_progress") == "1" or (server.name == "aegisr" and int(info(server, "rdb_saves")) == saves):
            peak = max(peak, rss_bytes(server.proc.pid) + child_private_bytes(server.proc.pid))
            time.sleep(0.005)
        durations.append(time.time() - started)
    t.join()
    return statistics.median(durations), before, peak, during[0]["p999_ms"], base[0]["p999_ms"], len(durations)


def time_to_ready(start, server_name, port):
    began = time.time()
    server = start()
    while True:
        try:
            reply = subprocess.run(["redis-cli", "-p", str(port), "PING"], capture_output=True, text=True).stdout
            if "PONG" in reply:
                break
        except OSError:
            pass
        time.sleep(0.01)
    return time.time() - began, server


def throughput(server, pipeline, requests):
    out = subprocess.run(["redis-benchmark", "-p", str(server.port), "-t", "set", "-c", "50", "-r", "100000", "-d", "32",
                          "-P", str(pipeline), "-n", str(requests), "--csv"], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        cols = [c.strip('"') for c in line.split(",")]
        if cols[0].startswith("SET"):
            return float(cols[1])
    raise RuntimeError(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--aegisr", default="target/release/aegisr-server")
    ap.add_argument("--bench", default="target/release/aegisr-bench")
    ap.add_argument("--redis-port", type=int, default=16381)
    ap.add_argument("--aegisr-port", type=int, default=16382)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=6, help="length of each latency run")
    ap.add_argument("--parts", default="snapshot,recovery,throughput", help="any of snapshot,recovery,throughput,rdb")
    args = ap.parse_args()
    parts = args.parts.split(",")
    work = tempfile.mkdtemp(prefix="aegisr-persist-bench-")
    rows = []
    try:
        if "snapshot" in parts or "recovery" in parts:
            rdir, adir = os.path.join(work, "redis"), os.path.join(work, "aegisr")
            os.makedirs(rdir), os.makedirs(adir)
            redis = start_redis(args.redis_port, rdir, ["--save", "", "--appendonly", "no"])
            aegisr = start_aegisr(args.aegisr, args.aegisr_port, adir, [])
            for server in (redis, aegisr):
                load(server)
            if "snapshot" in parts:
                for server in (redis, aegisr):
                    secs, before, peak, p999, p999_base, n = snapshot_figures(server, args.bench, args.seconds)
                    rows.append((server.name, "snapshot time (median of %d)" % n, f"{secs:.3f} s"))
                    rows.append((server.name, "RSS before / peak during snapshot",
                                 f"{before / 2**20:.0f} / {peak / 2**20:.0f} MB (+{(peak / before - 1) * 100:.0f}%)"))
                    rows.append((server.name, "p99.9 with / without snapshots", f"{p999:.2f} / {p999_base:.2f} ms ({p999 / p999_base:.2f}x)"))
            if "recovery" in parts:
                # From the snapshot: take one, stop, time the start.
                redis.cli("SAVE")
                aegisr.cli("SAVE")
                redis.stop()
                aegisr.stop()
                secs, redis = time_to_ready(lambda: start_redis(args.redis_port, rdir, ["--save", "", "--appendonly", "no"]), "redis", args.redis_port)
                rows.append(("redis", "recovery from RDB snapshot", f"{secs:.3f} s"))
                secs, aegisr = time_to_ready(lambda: start_aegisr(args.aegisr, args.aegisr_port, adir, []), "aegisr", args.aegisr_port)
                rows.append(("aegisr", "recovery from snapshot", f"{secs:.3f} s"))
                redis.stop()
                aegisr.stop()
                # From the log alone: fresh directories, load, stop, time the start.
                for d in (rdir, adir):
                    shutil.rmtree(d)
                    os.makedirs(d)
                redis = start_redis(args.redis_port, rdir, ["--save", "", "--appendonly", "yes", "--auto-aof-rewrite-percentage", "0"])
                no_rewrite = os.path.join(work, "no-rewrite.toml")
                with open(no_rewrite, "w") as f:
                    f.write("auto-aof-rewrite-percentage = 0\n")
                aegisr = start_aegisr(args.aegisr, args.aegisr_port, adir, ["--config", no_rewrite])
                for server in (redis, aegisr):
                    load(server)
                redis.stop()
                aegisr.stop()
                secs, redis = time_to_ready(lambda: start_redis(args.redis_port, rdir, ["--save", "", "--appendonly", "yes"]), "redis", args.redis_port)
                while info(redis, "loading") != "0":
                    time.sleep(0.01)
                rows.append(("redis", "recovery from AOF alone", f"{secs:.3f} s"))
                secs, aegisr = time_to_ready(lambda: start_aegisr(args.aegisr, args.aegisr_port, adir, []), "aegisr", args.aegisr_port)
                rows.append(("aegisr", "recovery from journal alone", f"{secs:.3f} s"))
            redis.stop()
            aegisr.stop()
        if "rdb" in parts:
            # Moving the dataset between the two: Redis's RDB file imported by Aegisr at start
            # (until PING, the snapshot that follows included) beside Redis loading the same
            # file, and each server's dataset copied out with `redis-cli --rdb`.
            rdir, adir = os.path.join(work, "redis-rdb"), os.path.join(work, "aegisr-rdb")
            os.makedirs(rdir), os.makedirs(adir)
            redis = start_redis(args.redis_port, rdir, ["--save", "", "--appendonly", "no"])
            load(redis)
            redis.cli("SAVE")

            def copy_out(server):
                target = os.path.join(work, f"{server.name}-copy.rdb")
                began = time.time()
                subprocess.run(["redis-cli", "-p", str(server.port), "--rdb", target], check=True, capture_output=True)
                return time.time() - began, os.path.getsize(target)

            secs, size = copy_out(redis)
            rows.append(("redis", "redis-cli --rdb (fork and write)", f"{secs:.3f} s, {size / 2**20:.0f} MB"))
            redis.stop()
            shutil.copy(os.path.join(rdir, "dump.rdb"), os.path.join(adir, "dump.rdb"))
            secs, redis = time_to_ready(lambda: start_redis(args.redis_port, rdir, ["--save", "", "--appendonly", "no"]), "redis", args.redis_port)
            while info(redis, "loading") != "0":
                time.sleep(0.01)
            rows.append(("redis", "load of its dump.rdb", f"{secs:.3f} s"))
            redis.stop()
            secs, aegisr = time_to_ready(lambda: start_aegisr(args.aegisr, args.aegisr_port, adir, []), "aegisr", args.aegisr_port)
            rows.append(("aegisr", "import of Redis's dump.rdb (snapshot included)", f"{secs:.3f} s"))
            secs, size = copy_out(aegisr)
            rows.append(("aegisr", "redis-cli --rdb (slot by slot)", f"{secs:.3f} s, {size / 2**20:.0f} MB"))
            aegisr.stop()
        if "throughput" in parts:
            for policy in ("everysec", "always"):
                for pipeline, requests in ((1, 200_000), (16, 1_000_000)):
                    runs = {"redis": [], "aegisr": []}
                    for round_ in range(args.rounds):
                        for name in ("redis", "aegisr") if round_ % 2 == 0 else ("aegisr", "redis"):
                            d = os.path.join(work, f"{name}-{policy}")
                            shutil.rmtree(d, ignore_errors=True)
                            os.makedirs(d)
                            if name == "redis":
                                server = start_redis(args.redis_port, d, ["--save", "", "--appendonly", "yes", "--appendfsync", policy])
                            else:
                                server = start_aegisr(args.aegisr, args.aegisr_port, d, ["--appendfsync", policy])
                            try:
                                runs[name].append(throughput(server, pipeline, requests))
                            finally:
                                server.stop()
                    r, a = statistics.median(runs["redis"]), statistics.median(runs["aegisr"])
                    pairs = sorted(x / y for x, y in zip(runs["aegisr"], runs["redis"]))
                    rows.append(("both", f"SET -P {pipeline} appendfsync {policy}",
                                 f"aegisr {a:,.0f} / redis {r:,.0f} ops/s (medians); rounds' ratios: median "
                                 f"{statistics.median(pairs):.2f}x, {pairs[0]:.2f}-{pairs[-1]:.2f}"))
    finally:
        # Whatever failed, leave no server behind.
        subprocess.run(["redis-cli", "-p", str(args.redis_port), "SHUTDOWN", "NOSAVE"], capture_output=True)
        subprocess.run(["pkill", "-f", f"--port {args.aegisr_port} "], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    print(f"# {time.strftime('%Y-%m-%d')} — {machine()}, Redis {version}")
    for server, what, value in rows:
        print(f"| {server} | {what} | {value} |")


if __name__ == "__main__":
    main()
