#!/usr/bin/env python3
"""Two Aegisr builds against each other, before and after a change, in the same run.

Starts both binaries (memory only, loopback ports 16390 and 16391), then for each round,
test and pipeline depth runs `redis-benchmark -t <test> -c 50 -r 100000 -d 32 -P <p>`
against each, back to back, the order swapped every round (the host's neighbours move a
server's rate by a third from one minute to the next, so only paired runs compare). Prints,
per test, the median rate and server CPU per request (utime+stime from /proc) of each, and
the median of the rounds' ratios B/A with their range.

    scripts/bench_ab.py BEFORE_BIN AFTER_BIN [--threads 1] [--rounds 5] [--tests set,get]
                        [--pipelines 1,16] [--requests 1500000]

-P 1 runs a third of the requests.
"""

import argparse
import re
import statistics
import subprocess
import tempfile

# The paired-run helpers of the Aegisr-vs-Redis script, in this directory.
from bench_vs_redis import cpu_seconds, wait_port


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--threads", default="1", help="worker threads, or 'default'")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tests", default="set,get")
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--requests", type=int, default=1_500_000)
    args = parser.parse_args()

    servers = []
    try:
        for i, binary in enumerate([args.before, args.after]):
            port = 16390 + i
            argv = [binary, "--port", str(port), "--grpc-port", "0", "--metrics-port", "-1"]
            argv += ["--persistence", "none", "--dir", tempfile.mkdtemp(prefix="aegisr-ab-")]
            if args.threads != "default":
                argv += ["--threads", args.threads]
            process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            servers.append((process, port))
            wait_port(port)
        results = {}
        for r in range(args.rounds):
            for test in args.tests.split(","):
                for pipeline in args.pipelines.split(","):
                    n = args.requests if pipeline != "1" else args.requests // 3
                    for i in [0, 1] if r % 2 == 0 else [1, 0]:
                        process, port = servers[i]
                        before = sum(cpu_seconds(process.pid))
                        out = subprocess.run(
                            ["redis-benchmark", "-p", str(port), "-t", test, "-c", "50", "-r", "100000",
                             "-d", "32", "-P", pipeline, "-n", str(n), "-q"],
                            capture_output=True, text=True, check=True,
                        ).stdout
                        used = sum(cpu_seconds(process.pid)) - before
                        rate = float(re.findall(r"([0-9.]+) requests per second", out)[-1])
                        results.setdefault((test, pipeline, i), []).append((rate, used / n * 1e6))
        for test in args.tests.split(","):
            for pipeline in args.pipelines.split(","):
                a, b = results[(test, pipeline, 0)], results[(test, pipeline, 1)]
                rates = [y[0] / x[0] for x, y in zip(a, b)]
                cpus = [y[1] / x[1] for x, y in zip(a, b) if x[1] > 0]
                med = statistics.median
                print(
                    f"{test} -P {pipeline}: before {med([x[0] for x in a]):,.0f}/s {med([x[1] for x in a]):.2f} µs, "
                    f"after {med([x[0] for x in b]):,.0f}/s {med([x[1] for x in b]):.2f} µs; "
                    f"rate after/before {med(rates):.3f} ({min(rates):.2f}-{max(rates):.2f}), "
                    f"CPU {med(cpus):.3f}"
                )
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
