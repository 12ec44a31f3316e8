#!/usr/bin/env python3
"""Cluster figures for issue 9, with release builds of aegisr-server on loopback.

1. Failover: a group of a primary and two replicas (--replicas 1); a writer SETs in a
   loop; the primary is killed with SIGKILL; the time from the kill until a write succeeds
   on the promoted replica. Repeated --kills times (a fresh cluster each time).
2. Acknowledged writes lost on a SIGKILL of the primary, with asynchronous replication
   and with --min-replicas-ack 1 (every acknowledged write is checked on the new primary).
3. Cost of --min-replicas-ack 1: redis-benchmark SET -c 50 -P 1 against the primary of a
   primary + replica group, with and without quorum acks.
4. Throughput of three shard groups (three nodes, --replicas 0, slots split by the
   automatic rebalance) against one node: redis-benchmark --cluster SET/GET -P 16.
5. Resharding speed: a node with --keys keys; a second node joins (--replicas 0) and takes
   half the slots by live migration while serving; keys moved per second.
"""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, "target", "release", "aegisr-server")


def resp(*args):
    args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


class Conn:
    """A minimal RESP client: one command at a time, replies as bytes or errors."""

    def __init__(self, port, timeout=2.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind in (b"+", b":"):
            return rest
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                self.buf += chunk
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data
        if kind == b"*":
            return [self._reply() for _ in range(max(int(rest), 0))]
        raise RuntimeError(f"unexpected reply {line!r}")

    def call(self, *args):
        self.sock.sendall(resp(*args))
        return self._reply()

    def close(self):
        self.sock.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Every node started, so none outlives the script when a step fails.
NODES = []


class Node:
    def __init__(self, args, workdir):
        self.port, self.grpc, self.bus = free_port(), free_port(), free_port()
        self.dir = tempfile.mkdtemp(dir=workdir)
        argv = [BINARY, "--port", str(self.port), "--grpc-port", str(self.grpc), "--cluster-port", str(self.bus),
                "--metrics-port", "-1", "--dir", self.dir, *args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        NODES.append(self)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                Conn(self.port).call("PING")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("node did not start")

    def call(self, *args):
        c = Conn(self.port)
        try:
            return c.call(*args)
        finally:
            c.close()

    def role(self):
        try:
            return self.call("ROLE")[0].decode()
        except (OSError, RuntimeError, ConnectionError):
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()


def wait(check, timeout=60.0, step=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if check():
                return True
        except (OSError, RuntimeError, ConnectionError):
            pass
        time.sleep(step)
    return False


def group(workdir, extra=()):
    primary = Node(["--cluster", "--replicas", "1", *extra], workdir)
    others = [Node(["--join", f"127.0.0.1:{primary.bus}", *extra], workdir) for _ in range(2)]
    nodes = [primary, *others]
    assert wait(lambda: all(len(n.call("CLUSTER", "NODES").splitlines()) == 3 for n in nodes))
    assert wait(lambda: b"connected_slaves:2" in primary.call("INFO", "replication"))
    return nodes


def kill_under_writes(workdir, extra, writes_before=2000):
    """Writes, kills the primary, writes on until the new primary takes a write.
    Returns (failover seconds, acknowledged writes lost)."""
    nodes = group(workdir, extra)
    primary, replicas = nodes[0], nodes[1:]
    conn = Conn(primary.port)
    acked = []
    for i in range(writes_before):
        conn.call("SET", f"key:{i}", i)
        acked.append(i)
    # Keep writing as fast as one client can while the kill happens.
    killed = None
    i = writes_before
    target = 0
    while True:
        if killed is None and i == writes_before + 200:
            primary.kill()
            killed = time.time()
        try:
            conn.call("SET", f"key:{i}", i)
            acked.append(i)
            if killed is not None:
                break
        except (OSError, RuntimeError, ConnectionError):
            try:
                conn.close()
            except OSError:
                pass
            target = (target + 1) % len(replicas)
            time.sleep(0.005)
            try:
                conn = Conn(replicas[target].port, timeout=1.0)
            except OSError:
                pass
        i += 1
    failover = time.time() - killed
    new_primary = next(n for n in replicas if n.role() == "master")
    check = Conn(new_primary.port)
    lost = sum(1 for k in acked if check.call("GET", f"key:{k}") != str(k).encode())
    for n in nodes:
        n.kill()
    return failover, lost, len(acked)


def benchmark(port, tests, clients=50, pipeline=1, requests=200_000, cluster=False):
    argv = ["redis-benchmark", "-p", str(port), "-t", tests, "-c", str(clients), "-P", str(pipeline),
            "-n", str(requests), "-r", "100000", "-d", "32", "--csv"]
    if cluster:
        argv.append("--cluster")
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rows = {}
    # With --cluster the CSV comes after a description of the cluster.
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith('"test"'))
    for line in lines[header + 1:]:
        cells = [c.strip('"') for c in line.split(",")]
        if len(cells) >= 7:
            rows[cells[0]] = (float(cells[1]), float(cells[4]), float(cells[6]))  # rps, p50, p99
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--keys", type=int, default=200_000)
    parser.add_argument("--parts", default="failover,loss,quorum,throughput,reshard")
    args = parser.parse_args()
    parts = args.parts.split(",")
    workdir = tempfile.mkdtemp(prefix="aegisr-cluster-bench-")
    try:
        if "failover" in parts:
            times = [kill_under_writes(workdir, ())[0] for _ in range(args.kills)]
            print(f"failover after SIGKILL of the primary ({args.kills} kills): median {statistics.median(times) * 1000:.0f} ms, "
                  f"max {max(times) * 1000:.0f} ms, min {min(times) * 1000:.0f} ms")
        if "loss" in parts:
            for label, extra in (("asynchronous", ()), ("--min-replicas-ack 1", ("--min-replicas-ack", "1"))):
                runs = [kill_under_writes(workdir, extra) for _ in range(5)]
                print(f"acknowledged writes lost ({label}, 5 kills): {[r[1] for r in runs]} of {[r[2] for r in runs]}")
        if "quorum" in parts:
            for label, extra in (("asynchronous", ()), ("--min-replicas-ack 1", ("--min-replicas-ack", "1"))):
                nodes = group(workdir, extra)
                rows = benchmark(nodes[0].port, "set")
                rps, p50, p99 = rows["SET"]
                print(f"SET -c 50 -P 1 on a primary with 2 replicas, {label}: {rps:.0f} req/s, p50 {p50:.3f} ms, p99 {p99:.3f} ms")
                for n in nodes:
                    n.kill()
        if "throughput" in parts:
            single = Node(["--cluster", "--replicas", "0"], workdir)
            # redis-benchmark --cluster wants three masters or more: the one-node cluster
            # (every slot on it) is measured without it.
            one = benchmark(single.port, "set,get", pipeline=16, requests=1_000_000)
            single.kill()
            first = Node(["--cluster", "--replicas", "0"], workdir)
            rest = [Node(["--join", f"127.0.0.1:{first.bus}", "--replicas", "0"], workdir) for _ in range(2)]
            def settled():
                owners = {int(entry[2][1]) for entry in first.call("CLUSTER", "SLOTS")}
                moving = any(b"->-" in n.call("CLUSTER", "NODES") for n in [first, *rest])
                return len(owners) == 3 and not moving
            assert wait(settled, timeout=120)
            three = benchmark(first.port, "set,get", pipeline=16, requests=1_000_000, cluster=True)
            for n in [first, *rest]:
                n.kill()
            for test in ("SET", "GET"):
                print(f"{test} -P 16 (redis-benchmark --cluster): 1 node {one[test][0]:.0f} req/s, 3 groups {three[test][0]:.0f} req/s "
                      f"({three[test][0] / one[test][0]:.2f}x)")
        if "reshard" in parts:
            first = Node(["--cluster", "--replicas", "0"], workdir)
            subprocess.run(["redis-benchmark", "-p", str(first.port), "-t", "set", "-n", str(args.keys * 3), "-r", str(args.keys),
                            "-d", "32", "-P", "64", "-q"], check=True, capture_output=True)
            keys = int(first.call("DBSIZE"))
            started = time.time()
            second = Node(["--join", f"127.0.0.1:{first.bus}", "--replicas", "0"], workdir)
            def split():
                owned = sum(int(e[1]) - int(e[0]) + 1 for e in first.call("CLUSTER", "SLOTS") if int(e[2][1]) == second.port)
                return owned == 8192 and b"->-" not in first.call("CLUSTER", "NODES")
            assert wait(split, timeout=600)
            elapsed = time.time() - started
            moved = int(second.call("DBSIZE"))
            print(f"resharding: {moved} of {keys} keys (8192 slots) moved in {elapsed:.2f} s while serving: {moved / elapsed:.0f} keys/s")
            first.kill()
            second.kill()
    finally:
        for node in NODES:
            node.kill()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
