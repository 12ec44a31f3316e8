#!/usr/bin/env python3
"""The benchmark record: Aegisr vs Redis 7 on this machine, in one run, into docs/benchmarks.md.

Starts Redis (Debian's redis-server, `--save "" --appendonly no`) and a release Aegisr
(`--persistence none`, so neither server writes to disk) on fixed loopback ports, then:

- drives both with `aegisr-bench --compare` (same client, same key space, same seed, rounds
  alternating A B, B A, ...; medians of the per-round figures) for SET/GET at -P 1 and -P 16
  with 32 B and 1 KB values, a SET:GET 1:10 mix with uniform and zipfian keys, and
  LPUSH/HSET/ZADD;
- runs `redis-benchmark` against both in alternating rounds for the same SET/GET and
  LPUSH/HSET/ZADD tests (the client everyone knows, as a cross-check);
- loads 1,000,000 strings, 100,000 hashes and 100,000 sorted sets into fresh servers and
  reports resident memory per key;
- measures aegisr-bench's own ceiling: PING -c 50 -P 16 against Redis with aegisr-bench and
  with redis-benchmark (ping_mbulk), alternating, median of the rounds.

The result is a dated markdown section inserted at the top of the "## Records" section of
the given file (older sections stay), and printed.

Usage: cargo build --release --workspace && python3 scripts/bench_record.py
"""

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_vs_redis import DATASETS, Server, load_dataset, rss_bytes  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def median(xs):
    return statistics.median(xs) if xs else 0.0


def spread_pct(xs):
    """Half the max-min range over the median, in percent: how much the rounds disagree."""
    m = median(xs)
    if len(xs) < 2 or m <= 0:
        return 0.0
    return (max(xs) - min(xs)) / 2 / m * 100


def machine():
    model = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"nproc {os.cpu_count()}, {model}, {platform.system()} {platform.release()}"


def show(argv):
    return " ".join(shlex.quote(a) for a in argv)


class Record:
    def __init__(self, args):
        self.args = args
        self.rows = []  # (measure, client, aegisr, redis, ratio, p99 text, spread text)
        self.commands = []  # exact command lines, in the order they ran (one per kind)
        self.spreads = []
        self.load_start = os.getloadavg()[0]

    def log(self, text):
        print(text, file=sys.stderr, flush=True)

    # --- aegisr-bench --compare: A = Redis, B = Aegisr, so B / A is Aegisr / Redis.
    def compare(self, measure, workload):
        a = self.args
        argv = [a.bench, "-h", "127.0.0.1", "-p", str(a.redis_port), "--compare", f"127.0.0.1:{a.aegisr_port}",
                "--rounds", str(a.rounds), "--test-time", a.test_time, "--warmup", a.warmup, "-c", "50",
                "-r", "100000", "--seed", "1", "--json", "-q", *workload]
        self.commands.append(show(argv).replace(a.bench, "aegisr-bench"))
        self.log(f"[aegisr-bench] {measure}: {show(argv)}")
        out = subprocess.run(argv, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"aegisr-bench failed for {measure}: {out.stderr.strip()}")
        v = json.loads(out.stdout)
        for side in ("a", "b"):
            errors = v[side]["total"]["errors"]
            if errors:
                raise RuntimeError(f"{measure}: {errors} error replies from {side}: {v[side]['total'].get('first_error')}")
        p = v["per_round"]
        r_ops, a_ops = p["a_ops_per_sec"], p["b_ops_per_sec"]
        r_p99, a_p99 = median(p["a_p99_ms"]), median(p["b_p99_ms"])
        self.spreads += [spread_pct(r_ops), spread_pct(a_ops)]
        self.rows.append((measure, "aegisr-bench", f"{median(a_ops):,.0f} ops/s", f"{median(r_ops):,.0f} ops/s",
                          median(a_ops) / median(r_ops), f"{a_p99:.3f} / {r_p99:.3f}",
                          f"±{spread_pct(a_ops):.0f}% / ±{spread_pct(r_ops):.0f}%"))
        self.log(f"    Aegisr {a_ops}  Redis {r_ops}")

    # --- redis-benchmark, alternating rounds.
    def redis_benchmark(self, servers, tests, pipeline, size, requests, label):
        argv_of = lambda port: ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", tests, "-c", "50",  # noqa: E731
                                "-r", "100000", "-d", str(size), "-P", str(pipeline), "-n", str(requests), "--csv"]
        self.commands.append(show(argv_of("PORT")))
        runs = {"aegisr": [], "redis": []}
        for round_ in range(self.args.rounds):
            order = servers if round_ % 2 == 0 else servers[::-1]
            for server in order:
                self.log(f"[redis-benchmark] {label} round {round_ + 1} {server.name}")
                out = subprocess.run(argv_of(server.port), check=True, capture_output=True, text=True).stdout
                rps = {}
                for line in out.splitlines():
                    cols = [c.strip('"') for c in line.split(",")]
                    if len(cols) > 1 and cols[0] != "test":
                        rps[cols[0].split(" ")[0]] = float(cols[1])
                runs[server.name].append(rps)
        for test in runs["redis"][0]:
            a_ops = [r[test] for r in runs["aegisr"]]
            r_ops = [r[test] for r in runs["redis"]]
            self.spreads += [spread_pct(r_ops), spread_pct(a_ops)]
            self.rows.append((f"{test} {label}", "redis-benchmark", f"{median(a_ops):,.0f} ops/s",
                              f"{median(r_ops):,.0f} ops/s", median(a_ops) / median(r_ops), "",
                              f"±{spread_pct(a_ops):.0f}% / ±{spread_pct(r_ops):.0f}%"))

    # --- Memory per key, fresh servers per dataset.
    def memory(self, start_redis, start_aegisr):
        for dataset in ("strings", "hashes", "zsets"):
            count, _, label = DATASETS[dataset]
            redis, aegisr = start_redis(), start_aegisr()
            try:
                per_key = {}
                for server in (redis, aegisr):
                    server.cli("MEMORY", "PURGE")
                    time.sleep(0.5)
                    before = rss_bytes(server.proc.pid)
                    self.log(f"[memory] {dataset} into {server.name}")
                    load_dataset(server, dataset)
                    # Both allocators give back what the loading connection freed (jemalloc in
                    # Redis, mimalloc in Aegisr), so only the data is counted.
                    server.cli("MEMORY", "PURGE")
                    time.sleep(0.5)
                    dbsize = int(server.cli("DBSIZE").strip())
                    if dbsize != count:
                        raise RuntimeError(f"{server.name} holds {dbsize} keys after loading {count}")
                    per_key[server.name] = (rss_bytes(server.proc.pid) - before) / count
            finally:
                redis.stop()
                aegisr.stop()
            self.rows.append((f"memory per key, {count:,} {label} (RSS growth)", "redis-cli --pipe",
                              f"{per_key['aegisr']:.0f} B", f"{per_key['redis']:.0f} B",
                              per_key["aegisr"] / per_key["redis"], "", ""))
        self.commands.append("redis-cli -p PORT --pipe < (SET key:%010d <32 B> | HSET hash:%08d with 10 fields "
                             "| ZADD zset:%08d with 10 members); RSS from /proc/PID/status before and after, "
                             "each after MEMORY PURGE")

    # --- aegisr-bench's own ceiling against Redis answering PING.
    def overhead(self, redis):
        a = self.args
        n = str(a.ping_requests)
        bench = [a.bench, "-h", "127.0.0.1", "-p", str(redis.port), "--command", "PING", "-c", "50", "-P", "16",
                 "-n", n, "--json", "-q"]
        rb = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(redis.port), "-t", "ping_mbulk", "-c", "50", "-P", "16",
              "-n", n, "--csv"]
        self.commands.append(show(bench).replace(a.bench, "aegisr-bench"))
        self.commands.append(show(rb))
        ours, theirs = [], []
        for round_ in range(a.rounds):
            for which in ((0, 1) if round_ % 2 == 0 else (1, 0)):
                self.log(f"[overhead] round {round_ + 1} {'aegisr-bench' if which == 0 else 'redis-benchmark'}")
                if which == 0:
                    out = subprocess.run(bench, check=True, capture_output=True, text=True).stdout
                    ours.append(json.loads(out)["total"]["ops_per_sec"])
                else:
                    out = subprocess.run(rb, check=True, capture_output=True, text=True).stdout
                    rows = [ln.split(",") for ln in out.splitlines() if not ln.startswith('"test"')]
                    theirs.append(float(rows[0][1].strip('"')))
        self.overhead_result = (ours, theirs)

    def markdown(self, started, version, commit):
        a = self.args
        ours, theirs = self.overhead_result
        lines = [
            f"### {time.strftime('%Y-%m-%d', time.gmtime(started))} — {machine()}, Redis {version}, "
            f"Aegisr {commit}, {a.rounds} alternating rounds, medians",
            "",
            f"Command: `{a.invocation}` (release build, LTO; Redis `--save \"\" --appendonly no`, "
            "Aegisr `--persistence none`, default server threads; both on loopback). "
            f"aegisr-bench rows: A = Redis, B = Aegisr, {a.rounds} rounds of {a.test_time} s each after a "
            f"{a.warmup} s warm-up, one client thread, 50 connections, 100,000 keys, seed 1; redis-benchmark rows: "
            f"{a.rounds} alternating rounds of one run each.",
            "",
            "| measure | client | Aegisr | Redis | Aegisr/Redis | p99 ms Aegisr / Redis | spread Aegisr / Redis |",
            "|---|---|---|---|---|---|---|",
        ]
        for measure, client, aegisr, redis, ratio, p99, spread in self.rows:
            lines.append(f"| {measure} | {client} | {aegisr} | {redis} | {ratio:.2f} | {p99} | {spread} |")
        lines += [
            "",
            f"aegisr-bench's own ceiling (PING, -c 50 -P 16, -n {a.ping_requests:,}, against Redis, one client "
            f"thread): {median(ours):,.0f} PING/s (rounds: {', '.join(f'{x:,.0f}' for x in ours)}), "
            f"redis-benchmark `-t ping_mbulk` {median(theirs):,.0f} (rounds: {', '.join(f'{x:,.0f}' for x in theirs)}): "
            f"{median(ours) / median(theirs):.2f}x.",
            "",
            f"Noise: spread is half the max-min range of the rounds over their median; over all throughput rows it "
            f"was ±{median(self.spreads):.0f}% in the median case and up to ±{max(self.spreads):.0f}%. "
            "Ratios within about that band of 1.00 are ties. Memory per key is one load per server; earlier runs "
            "varied by ±20 B per key.",
        ]
        lines[-1] += (f" Load average (1 min) of the machine at the start of the run {self.load_start:.2f}, "
                      f"at the end {os.getloadavg()[0]:.2f} (the end figure includes this run's own servers and client).")
        if a.note:
            lines += ["", a.note]
        lines += ["", "Exact commands (PORT is Redis's or Aegisr's):", ""]
        lines += [f"- `{c}`" for c in dict.fromkeys(self.commands)]
        return "\n".join(lines) + "\n"


def insert_section(path, text):
    """Puts `text` at the top of the `## Records` section, keeping what follows."""
    with open(path) as f:
        doc = f.read()
    marker = "## Records\n\n"
    at = doc.find(marker)
    doc = doc[: at + len(marker)] + text + "\n" + doc[at + len(marker):] if at >= 0 else doc + "\n" + marker + text
    with open(path, "w") as f:
        f.write(doc)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--aegisr", default=os.path.join(REPO, "target/release/aegisr-server"))
    ap.add_argument("--bench", default=os.path.join(REPO, "target/release/aegisr-bench"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--test-time", default="3", help="seconds per aegisr-bench round")
    ap.add_argument("--warmup", default="1", help="aegisr-bench warm-up seconds per server")
    ap.add_argument("--requests-p1", type=int, default=200_000, help="redis-benchmark -n at -P 1")
    ap.add_argument("--requests-p16", type=int, default=2_000_000, help="redis-benchmark -n at -P 16")
    ap.add_argument("--ping-requests", type=int, default=5_000_000)
    ap.add_argument("--redis-port", type=int, default=7161)
    ap.add_argument("--aegisr-port", type=int, default=7162)
    ap.add_argument("--skip-memory", action="store_true", help="leave out memory per key (for quick trials)")
    ap.add_argument("--note", default="", help="a paragraph added under the table (e.g. what else ran)")
    ap.add_argument("--markdown", default=os.path.join(REPO, "docs/benchmarks.md"),
                    help="file whose '## Records' section gets the new section ('' prints only)")
    args = ap.parse_args()
    if args.rounds < 3:
        print("note: fewer than 3 rounds; medians of 1-2 rounds are not robust", file=sys.stderr)
    args.invocation = "python3 scripts/bench_record.py" + "".join(
        f" {shlex.quote(a)}" for a in sys.argv[1:] if not a.startswith("--note") and a != args.note)
    for binary in (args.aegisr, args.bench):
        if not os.access(binary, os.X_OK):
            sys.exit(f"{binary} is missing: run cargo build --release --workspace first")

    started = time.time()
    start_redis = lambda: Server("redis", ["redis-server", "--port", str(args.redis_port), "--bind", "127.0.0.1",  # noqa: E731
                                           "--save", "", "--appendonly", "no"], args.redis_port)
    start_aegisr = lambda: Server("aegisr", [args.aegisr, "--port", str(args.aegisr_port), "--grpc-port", "0",  # noqa: E731
                                             "--persistence", "none"], args.aegisr_port)
    record = Record(args)
    redis, aegisr = start_redis(), start_aegisr()
    try:
        for pipeline in (1, 16):
            for size, size_label in ((32, "32 B"), (1024, "1 KB")):
                common = ["-P", str(pipeline), "-d", str(size)]
                record.compare(f"SET -P {pipeline}, {size_label}", [*common, "--command", "SET __key__ __data__"])
                record.compare(f"GET -P {pipeline}, {size_label} (prefilled)",
                               [*common, "--command", "GET __key__", "--prefill"])
        record.compare("SET:GET 1:10 -P 16, 32 B, uniform keys (prefilled)",
                       ["-P", "16", "-d", "32", "--ratio", "set:get=1:10", "--prefill"])
        record.compare("SET:GET 1:10 -P 16, 32 B, zipfian keys s=0.99 (prefilled)",
                       ["-P", "16", "-d", "32", "--ratio", "set:get=1:10", "--prefill", "--key-pattern", "zipf",
                        "--zipf-exponent", "0.99"])
        # Own key prefixes, so no command meets a key of another type.
        record.compare("LPUSH -P 16, 32 B, 100,000 lists (growing)",
                       ["-P", "16", "-d", "32", "--key-prefix", "list:", "--command", "LPUSH __key__ __data__"])
        record.compare("HSET -P 16, 32 B, 100,000 hashes (one field each: updates)",
                       ["-P", "16", "-d", "32", "--key-prefix", "hash:", "--command", "HSET __key__ field __data__"])
        record.compare("ZADD -P 16, 32 B, 100,000 sorted sets (one member each: updates)",
                       ["-P", "16", "-d", "32", "--key-prefix", "zset:", "--command", "ZADD __key__ 1 __data__"])
        for server in (redis, aegisr):
            server.cli("FLUSHALL")
        for pipeline, requests in ((1, args.requests_p1), (16, args.requests_p16)):
            for size, size_label in ((32, "32 B"), (1024, "1 KB")):
                record.redis_benchmark([redis, aegisr], "set,get", pipeline, size, requests,
                                       f"-P {pipeline}, {size_label}")
        record.redis_benchmark([redis, aegisr], "lpush,hset,zadd", 16, 32, args.requests_p16 // 2,
                               "-P 16, 32 B (one key per test)")
        for server in (redis, aegisr):
            server.cli("FLUSHALL")
        record.overhead(redis)
    finally:
        redis.stop()
        aegisr.stop()
    if not args.skip_memory:
        record.memory(start_redis, start_aegisr)

    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    version = version.removeprefix("v=")
    commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip() or "unknown commit"
    text = record.markdown(started, version, commit)
    print(text)
    if args.markdown:
        insert_section(args.markdown, text)
        print(f"inserted into {args.markdown} (took {time.time() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
