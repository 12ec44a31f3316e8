#!/usr/bin/env python3
"""Aegisr vs Redis 7, measured in the same run on the same machine.

For each Aegisr thread setting and pipeline depth, runs `redis-benchmark -t set,get -c 50
-r 100000 -d 32 -P <p>` against Redis and Aegisr in rounds, and records throughput and
server CPU time per request (utime+stime from /proc/PID/stat, before and after each run).
Each test runs on both servers back to back, the order swapped every round, so the two
runs of a pair see the same host (this machine's neighbours move a server's rate by a third
from one minute to the next); the ratio reported is the median of the pairs' ratios.
Then loads datasets (1,000,000 keys of 32 bytes; 100,000 hashes of 10 fields; 100,000
sorted sets of 10 members) into fresh servers and reports resident memory per key. Prints
medians and Aegisr/Redis ratios.
"""

import argparse
import os
import platform
import socket
import statistics
import subprocess
import tempfile
import time

TICKS = os.sysconf("SC_CLK_TCK")


def wait_port(port, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on port {port}")


def cpu_seconds(pid):
    """(user, system) CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of stat (utime, stime); after the ")" split they are at 11 and 12.
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def port_free(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


class Server:
    def __init__(self, name, argv, port):
        self.name, self.port = name, port
        if not port_free(port):
            raise RuntimeError(f"port {port} is already in use; pick another with --{name}-port")
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port)
        if self.proc.poll() is not None:
            raise RuntimeError(f"{name} exited at start")

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args], check=True, capture_output=True, text=True).stdout

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def bench(server, pipeline, requests, test, random_keys=100000, data_size=32):
    """One redis-benchmark run of one test; returns its rps and (user, system) CPU seconds
    per request.
    `random_keys` and `data_size` 0 leave redis-benchmark's defaults (one key, 3 bytes)."""
    options = (["-r", str(random_keys)] if random_keys else []) + (["-d", str(data_size)] if data_size else [])
    before = cpu_seconds(server.proc.pid)
    out = subprocess.run(
        ["redis-benchmark", "-p", str(server.port), "-t", test, "-c", "50", *options,
         "-P", str(pipeline), "-n", str(requests), "--csv"],
        check=True, capture_output=True, text=True).stdout
    after = cpu_seconds(server.proc.pid)
    # The last line is the test asked for: LRANGE's tests print "LPUSH (needed to benchmark
    # LRANGE)" first (whose requests count in the CPU time, as they are served).
    lines = [[c.strip('"') for c in line.split(",")] for line in out.splitlines()]
    runs = [cols for cols in lines if len(cols) > 1 and cols[0] != "test"]
    if not runs:
        raise RuntimeError(f"redis-benchmark -t {test} printed no result: {out!r}")
    served = requests * len(runs)
    return float(runs[-1][1]), ((after[0] - before[0]) / served, (after[1] - before[1]) / served)


def resp(*args):
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


# Datasets for memory: name -> (keys, writer of key i's commands, label).
DATASETS = {
    "strings": (1_000_000, lambda i: resp(b"SET", b"key:%010d" % i, b"v" * 32), "keys x 32 B values"),
    "hashes": (100_000, lambda i: resp(b"HSET", b"hash:%08d" % i,
                                       *[x for f in range(10) for x in (b"field%d" % f, b"value%04d" % f)]),
               "hashes x 10 fields"),
    "zsets": (100_000, lambda i: resp(b"ZADD", b"zset:%08d" % i,
                                      *[x for m in range(10) for x in (b"%d" % (m * 7 + i % 13), b"member%04d" % m)]),
              "sorted sets x 10 members"),
}


def load_dataset(server, dataset):
    count, command, _ = DATASETS[dataset]
    with tempfile.NamedTemporaryFile("wb", delete=False) as f:
        for i in range(count):
            f.write(command(i))
        path = f.name
    try:
        with open(path, "rb") as f:
            subprocess.run(["redis-cli", "-p", str(server.port), "--pipe"], stdin=f, check=True, capture_output=True)
    finally:
        os.unlink(path)


def machine():
    model = "unknown cpu"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, {platform.system()} {platform.release()}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--aegisr", required=True, help="path to the aegisr-server binary")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests-p1", type=int, default=300_000)
    ap.add_argument("--requests-p16", type=int, default=3_000_000)
    ap.add_argument("--threads", default="1,default", help="Aegisr --threads settings to test ('' skips the throughput runs)")
    ap.add_argument("--tests", default="set,get", help="redis-benchmark -t tests")
    ap.add_argument("--pipelines", default="1,16", help="pipeline depths to test")
    ap.add_argument("--random-keys", type=int, default=100000,
                    help="redis-benchmark -r (0: none, one key per test, as issue 3's command)")
    ap.add_argument("--data-size", type=int, default=32, help="redis-benchmark -d (0: its default, 3 bytes)")
    ap.add_argument("--memory", default="strings", help="datasets for memory per key: strings,hashes,zsets ('' skips)")
    ap.add_argument("--redis-port", type=int, default=16379)
    ap.add_argument("--aegisr-port", type=int, default=16380)
    ap.add_argument("--markdown", help="append the result table to this file")
    args = ap.parse_args()

    redis = Server("redis", ["redis-server", "--port", str(args.redis_port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], args.redis_port)
    rows = []
    try:
        for threads in filter(None, args.threads.split(",")):
            # Redis runs with persistence off (--save "" --appendonly no): so does Aegisr.
            argv = [args.aegisr, "--port", str(args.aegisr_port), "--grpc-port", "0", "--persistence", "none"]
            if threads != "default":
                argv += ["--threads", threads]
            aegisr = Server("aegisr", argv, args.aegisr_port)
            try:
                for pipeline in (int(p) for p in args.pipelines.split(",")):
                    requests = args.requests_p1 if pipeline == 1 else args.requests_p16
                    tests = args.tests.split(",")
                    # rates[test][server] and cpu[server][round]: (user, system) per request
                    rates = {test: {"redis": [], "aegisr": []} for test in tests}
                    cpu = {"redis": [[0.0, 0.0] for _ in range(args.rounds)],
                           "aegisr": [[0.0, 0.0] for _ in range(args.rounds)]}
                    for round_ in range(args.rounds):
                        for test in tests:
                            for server in (redis, aegisr) if round_ % 2 == 0 else (aegisr, redis):
                                rps, (user, system) = bench(server, pipeline, requests, test,
                                                            args.random_keys, args.data_size)
                                rates[test][server.name].append(rps)
                                cpu[server.name][round_][0] += user / len(tests)
                                cpu[server.name][round_][1] += system / len(tests)
                    for test in tests:
                        r, a = rates[test]["redis"], rates[test]["aegisr"]
                        pairs = sorted(x / y for x, y in zip(a, r))
                        rows.append((f"{test.upper()} -P {pipeline}, aegisr --threads {threads}",
                                     f"{statistics.median(a):,.0f} ops/s", f"{statistics.median(r):,.0f} ops/s",
                                     statistics.median(pairs), f"{pairs[0]:.2f}-{pairs[-1]:.2f}"))
                    for label, pick in (("CPU per request", lambda c: c[0] + c[1]), ("user-space CPU per request", lambda c: c[0])):
                        rc = statistics.median(pick(c) for c in cpu["redis"]) * 1e6
                        ac = statistics.median(pick(c) for c in cpu["aegisr"]) * 1e6
                        rows.append((f"{label} -P {pipeline}, aegisr --threads {threads}", f"{ac:.2f} µs", f"{rc:.2f} µs", ac / rc, ""))
            finally:
                aegisr.stop()

        # Memory per key: fresh servers for each dataset, load the same keys, compare resident memory.
        for dataset in filter(None, args.memory.split(",")):
            count, _, label = DATASETS[dataset]
            redis.cli("FLUSHALL")
            redis.stop()
            redis = Server("redis", ["redis-server", "--port", str(args.redis_port), "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no"], args.redis_port)
            aegisr = Server("aegisr", [args.aegisr, "--port", str(args.aegisr_port), "--grpc-port", "0",
                                       "--persistence", "none"], args.aegisr_port)
            try:
                per_key = {}
                for server in (redis, aegisr):
                    server.cli("MEMORY", "PURGE")
                    time.sleep(0.5)
                    before = rss_bytes(server.proc.pid)
                    load_dataset(server, dataset)
                    # Both allocators give back what the load's connection freed (jemalloc
                    # in Redis, mimalloc in Aegisr), so only the data is counted.
                    server.cli("MEMORY", "PURGE")
                    time.sleep(0.5)
                    dbsize = int(server.cli("DBSIZE").strip())
                    assert dbsize == count, f"{server.name} has {dbsize} keys"
                    per_key[server.name] = (rss_bytes(server.proc.pid) - before) / count
                rows.append((f"memory per key ({count:,} {label}, RSS)", f"{per_key['aegisr']:.0f} B",
                             f"{per_key['redis']:.0f} B", per_key["aegisr"] / per_key["redis"], ""))
            finally:
                aegisr.stop()
    finally:
        redis.stop()

    version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.split()[2]
    lines = [
        f"### {time.strftime('%Y-%m-%d')} — {machine()}, Redis {version}, {args.rounds} rounds, medians",
        "",
        "Throughput: each test on both servers back to back; Aegisr/Redis is the median of the",
        "rounds' ratios, beside the lowest and highest.",
        "",
        "| measure | Aegisr | Redis | Aegisr/Redis | rounds' ratios |",
        "|---|---|---|---|---|",
    ]
    for name, a, r, ratio, ratios in rows:
        lines.append(f"| {name} | {a} | {r} | {ratio:.2f} | {ratios} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write("\n" + text)


if __name__ == "__main__":
    main()
