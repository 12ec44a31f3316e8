#!/usr/bin/env python3
"""Differential testing of Aegisr against a real redis-server: the same commands go
to both servers and every reply is compared byte for byte (after parsing), in RESP2
and in RESP3.

Usage (from the repository root, after `cargo build`):

    # both servers started (and stopped) by the script itself:
    scripts/compat/redis_diff.py --start corpus scripts/compat/*.txt
    scripts/compat/redis_diff.py --start fuzz --seed 1 --rounds 200 [--families list,zset]

    # against servers already running on the given ports:
    scripts/compat/redis_diff.py --redis-port 7502 --aegisr-port 7501 corpus FILE...

`--start` runs `redis-server` (from PATH, or --redis-bin) and target/debug/aegisr-server
(or --aegisr-bin) in memory-only mode on the two ports. The exit status is 1 when
anything differed. Both servers get FLUSHALL before every case, so never point the
script at a server holding data you want to keep.

Corpus format: cases separated by blank lines, one command per line, shlex-quoted
("\\xff" escapes are understood inside double quotes, as in redis-cli). Each case
runs on a fresh connection of each server, after FLUSHALL, and stops at its first
difference (unless -k). A case whose first line starts with `~` compares every array reply as an
unordered collection. Lines starting with `#` are comments. A command line may start
with a marker that relaxes the comparison of that one reply:

    @skip   run the command on both servers, compare nothing (e.g. setup with a
            version-dependent reply)
    @shape  compare only the reply's type and, for aggregates, its length (random
            commands such as SRANDMEMBER with a count)
    @near   integers may differ by 1 (TTL/PTTL ticking between the two servers)
    @sorted compare arrays unordered (order unspecified by Redis)

Memory: no case may make a server allocate more than about 1 MB (no SETBIT or
SETRANGE at offsets near 2^32 bits or 512 MB, no negative random counts near
LONG_MIN); --start caps both servers at 1 GB of maxmemory as a safety net.

Known, deliberate differences (Aegisr follows Redis 7.2 where 7.0 differs) are kept
out of the corpora with these markers rather than filtered here, so that every
comparison the script makes is an exact one.
"""

import argparse
import os
import random
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

# --------------------------------------------------------------------------- RESP


def encode(args):
    """A command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode("latin-1")
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


class Conn:
    """One blocking RESP connection; replies are parsed into (type byte, value)."""

    def __init__(self, port, timeout=30.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        # Unread input is buf[pos:]; consumed bytes are dropped only when more arrive,
        # so a large reply is not copied once per line.
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        self.sock.close()

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise EOFError("connection closed")
        if self.pos:
            del self.buf[: self.pos]
            self.pos = 0
        self.buf += data

    def _line(self):
        while True:
            end = self.buf.find(b"\r\n", self.pos)
            if end >= 0:
                break
            self._fill()
        line = bytes(self.buf[self.pos : end])
        self.pos = end + 2
        return line

    def _exact(self, n):
        while len(self.buf) - self.pos < n + 2:
            self._fill()
        value = bytes(self.buf[self.pos : self.pos + n])
        self.pos += n + 2
        return value

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-", b":", b",", b"#", b"_", b"("):
            return (kind, rest)
        if kind in (b"$", b"=", b"!"):
            n = int(rest)
            return (kind, None) if n < 0 else (kind, self._exact(n))
        if kind in (b"*", b"~", b">"):
            n = int(rest)
            return (kind, None) if n < 0 else (kind, [self.reply() for _ in range(n)])
        if kind in (b"%", b"|"):
            pairs = [(self.reply(), self.reply()) for _ in range(int(rest))]
            if kind == b"|":  # attributes precede the real reply
                return self.reply()
            return (kind, pairs)
        return (b"?", line)

    def cmd(self, args):
        self.sock.sendall(encode(args))
        return self.reply()


def is_pair(x):
    return isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], tuple)


def show(reply, limit=400):
    def go(r):
        kind, value = r
        kind = kind.decode()
        if isinstance(value, list):
            parts = (go(x[0]) + ": " + go(x[1]) if is_pair(x) else go(x) for x in value)
            return kind + "[" + ", ".join(parts) + "]"
        if isinstance(value, bytes):
            return kind + repr(value)[1:]
        return kind + str(value)

    text = go(reply)
    return text if len(text) <= limit else text[:limit] + "..."


def normalize(reply, unordered):
    """Sort what has no defined order: RESP3 sets and maps always, arrays when asked."""
    kind, value = reply
    if not isinstance(value, list):
        return reply
    items = [
        (normalize(x[0], unordered), normalize(x[1], unordered)) if is_pair(x) else normalize(x, unordered)
        for x in value
    ]
    if unordered or kind in (b"~", b"%"):
        items.sort(key=repr)
    return (kind, items)


def shape(reply):
    kind, value = reply
    return (kind, len(value) if isinstance(value, list) else value is None)


def near(a, b):
    (ka, va), (kb, vb) = a, b
    if ka == kb == b":" and va is not None and vb is not None:
        return abs(int(va) - int(vb)) <= 1
    if isinstance(va, list) and isinstance(vb, list) and ka == kb and len(va) == len(vb):
        return all(near(x, y) for x, y in zip(va, vb) if not is_pair(x))
    return a == b


def same(marker, a, b, unordered):
    if marker == "@skip":
        return True
    if marker == "@shape":
        return shape(a) == shape(b)
    if marker == "@near":
        return near(a, b)
    unordered = unordered or marker == "@sorted"
    return normalize(a, unordered) == normalize(b, unordered)


MARKERS = ("@skip", "@shape", "@near", "@sorted")


def parse_line(line):
    """(marker or None, argv) of one corpus line; "\\xHH" escapes as redis-cli has them."""
    marker = None
    head = line.split(None, 1)
    if head and head[0] in MARKERS:
        marker, line = head[0], head[1] if len(head) > 1 else ""
    args = [unescape(a) for a in shlex.split(line)]
    return marker, args


def unescape(arg):
    if "\\x" not in arg:
        return arg
    out, i = [], 0
    while i < len(arg):
        if arg.startswith("\\x", i) and i + 4 <= len(arg):
            try:
                out.append(chr(int(arg[i + 2 : i + 4], 16)))
                i += 4
                continue
            except ValueError:
                pass
        out.append(arg[i])
        i += 1
    return "".join(out)


# --------------------------------------------------------------------------- servers


# Both servers' memory limit; corpora that change maxmemory set this back.
MAXMEMORY = "1gb"


class Servers:
    """redis-server and aegisr-server started on the given ports, in memory only."""

    def __init__(self, rport, aport, redis_bin, aegisr_bin):
        self.tmp = tempfile.mkdtemp(prefix="redis-diff-")
        self.procs = []
        self.procs.append(
            subprocess.Popen(
                [
                    redis_bin,
                    "--port", str(rport),
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", self.tmp,
                    # A cap, so that a case allocating far more than a corpus should
                    # cannot take the machine's memory (see the corpus rules above).
                    "--maxmemory", MAXMEMORY,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        self.procs.append(
            subprocess.Popen(
                [
                    aegisr_bin,
                    "--port", str(aport),
                    "--grpc-port", "0",
                    "--metrics-port", "-1",
                    "--persistence", "none",
                    "--dir", self.tmp,
                    "--maxmemory", MAXMEMORY,
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        for port in (rport, aport):
            wait_for(port)

    def stop(self):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def wait_for(port, seconds=20.0):
    deadline = time.monotonic() + seconds
    while True:
        try:
            conn = Conn(port)
            if conn.cmd(["PING"]) == (b"+", b"PONG"):
                conn.close()
                return
            conn.close()
        except OSError:
            pass
        if time.monotonic() > deadline:
            sys.exit(f"no server answered on port {port}")
        time.sleep(0.1)


def fresh_pair(rport, aport, protocol):
    conns = Conn(rport), Conn(aport)
    for conn in conns:
        if protocol == 3:
            conn.cmd(["HELLO", "3"])
        conn.cmd(["FLUSHALL"])
    return conns


# --------------------------------------------------------------------------- corpus


def read_cases(path):
    """[(unordered, [(line number, text)])] of a corpus file."""
    cases, current = [], []
    numbered = list(enumerate(open(path, encoding="utf-8").read().split("\n"), 1))
    for number, text in numbered + [(len(numbered) + 1, "")]:
        if text.strip() and not text.lstrip().startswith("#"):
            current.append((number, text))
        elif not text.strip() and current:
            unordered = current[0][1].startswith("~")
            current[0] = (current[0][0], current[0][1].lstrip("~"))
            cases.append((unordered, current))
            current = []
    return cases


def config_snapshot(port):
    conn = Conn(port)
    kind, items = conn.cmd(["CONFIG", "GET", "*"])
    conn.close()
    values = [v for _, v in items]
    return {values[i].decode(): values[i + 1] for i in range(0, len(values) - 1, 2)}


def config_names(lines):
    """Parameters set by the CONFIG SET lines of a case."""
    names = []
    for line in lines:
        _, args = parse_line(line)
        if len(args) >= 4 and args[0].lower() == "config" and args[1].lower() == "set":
            names += [args[i].lower() for i in range(2, len(args) - 1, 2)]
    return names


def run_corpus(paths, rport, aport, verbose, keep_going):
    cases = [(path, case) for path in paths for case in read_cases(path)]
    initial_redis, initial_aegisr = config_snapshot(rport), config_snapshot(aport)
    mismatches = 0
    for protocol in (2, 3):
        for path, (unordered, lines) in cases:
            redis, aegisr = fresh_pair(rport, aport, protocol)
            for number, line in lines:
                marker, args = parse_line(line)
                if not args:
                    continue
                r, a = redis.cmd(args), aegisr.cmd(args)
                if verbose:
                    print(f"RESP{protocol} {line}\n   {show(r)}")
                if not same(marker, r, a, unordered):
                    mismatches += 1
                    print(f"RESP{protocol} MISMATCH ({os.path.basename(path)}:{number})  {line}")
                    print(f"   redis:  {show(r)}\n   aegisr: {show(a)}")
                    if not keep_going:
                        break
            # Put back the parameters the case changed (encoding thresholds and the like),
            # each server to its own starting value.
            for conn, initial in ((redis, initial_redis), (aegisr, initial_aegisr)):
                for name in config_names(text for _, text in lines):
                    if name in initial:
                        conn.cmd(["CONFIG", "SET", name, initial[name]])
                conn.close()
    print(f"{len(cases)} cases x 2 protocols, {mismatches} mismatches")
    return mismatches


# --------------------------------------------------------------------------- fuzz

KEYS = ["k1", "k2", "k3"]
MEMBERS = ["a", "b", "c", "d", "1", "2", "-1", "10", "1.5", "", "zz"]
NUMBERS = [
    "0", "1", "-1", "2", "-2", "3", "10", "-100", "100", "9223372036854775807",
    "-9223372036854775808", "x", "1.5", "inf", "-inf", "+inf", "(1", "[a", "-", "+",
    "(a", "nan", "1e3",
]
STREAM_IDS = ["0", "0-0", "1", "1-0", "1-1", "2-0", "2-5", "3", "5-0", "9-9", "-", "+", "(1-0", "x", "18446744073709551615-18446744073709551615"]
BITFIELD_TYPES = ["i1", "u1", "i8", "u8", "i16", "u15", "i63", "u63", "i64", "u64", "u0", "x8"]
# No offset near the 512 MB limit: a reply that large would only slow the run down.
BITFIELD_OFFSETS = ["0", "1", "7", "#0", "#1", "100", "-1", "4294967296", "#536870912", "x"]


def k():
    return random.choice(KEYS)


def m():
    return random.choice(MEMBERS)


def n():
    return random.choice(NUMBERS)


def ms(lo=1, hi=4):
    return [m() for _ in range(random.randint(lo, hi))]


def pick(*options):
    return random.choice(options)


def field_values(lo=1, hi=3):
    return [x for _ in range(random.randint(lo, hi)) for x in (m(), m())]


def sid():
    return random.choice(STREAM_IDS)


def bitfield_ops():
    ops = []
    for _ in range(random.randint(1, 4)):
        t, o = random.choice(BITFIELD_TYPES), random.choice(BITFIELD_OFFSETS)
        ops += pick(
            ["GET", t, o],
            ["SET", t, o, n()],
            ["INCRBY", t, o, n()],
            ["OVERFLOW", pick("WRAP", "SAT", "FAIL", "NOPE")],
        )
    return ops


GEN = {
    "list": [
        lambda: ["LPUSH", k()] + ms(), lambda: ["RPUSH", k()] + ms(), lambda: ["LPOP", k()],
        lambda: ["RPOP", k(), n()], lambda: ["LRANGE", k(), n(), n()], lambda: ["LINDEX", k(), n()],
        lambda: ["LSET", k(), n(), m()], lambda: ["LREM", k(), n(), m()], lambda: ["LTRIM", k(), n(), n()],
        lambda: ["LINSERT", k(), pick("BEFORE", "AFTER"), m(), m()], lambda: ["LLEN", k()],
        lambda: ["LPOS", k(), m()] + pick([], ["RANK", n()], ["COUNT", n()], ["MAXLEN", n()], ["RANK", n(), "COUNT", n()]),
        lambda: ["LMOVE", k(), k(), pick("LEFT", "RIGHT"), pick("LEFT", "RIGHT")],
        lambda: ["LMPOP", "2", k(), k(), pick("LEFT", "RIGHT")] + pick([], ["COUNT", n()]),
        lambda: ["LPUSHX", k(), m()], lambda: ["RPOPLPUSH", k(), k()],
        lambda: ["SORT", k()] + pick([], ["ALPHA"], ["DESC"], ["LIMIT", n(), n()], ["ALPHA", "LIMIT", n(), n()]),
    ],
    "hash": [
        lambda: ["HSET", k()] + field_values(), lambda: ["HGET", k(), m()], lambda: ["HDEL", k()] + ms(),
        lambda: ["HINCRBY", k(), m(), n()], lambda: ["HINCRBYFLOAT", k(), m(), pick("1", "-2", "0.5", "x", "inf")],
        lambda: ["HGETALL", k()], lambda: ["HMGET", k()] + ms(), lambda: ["HSETNX", k(), m(), m()],
        lambda: ["HSTRLEN", k(), m()], lambda: ["HLEN", k()], lambda: ["HEXISTS", k(), m()],
        lambda: ["HKEYS", k()], lambda: ["HVALS", k()], lambda: ["HMSET", k()] + field_values(),
    ],
    "set": [
        lambda: ["SADD", k()] + ms(), lambda: ["SREM", k()] + ms(), lambda: ["SMEMBERS", k()],
        lambda: ["SISMEMBER", k(), m()], lambda: ["SMISMEMBER", k()] + ms(), lambda: ["SCARD", k()],
        lambda: ["SINTER", k(), k()], lambda: ["SUNION", k(), k()], lambda: ["SDIFF", k(), k(), k()],
        lambda: ["SINTERSTORE", k(), k(), k()], lambda: ["SUNIONSTORE", k(), k()],
        lambda: ["SDIFFSTORE", k(), k(), k()], lambda: ["SMOVE", k(), k(), m()],
        lambda: ["SINTERCARD", "2", k(), k()] + pick([], ["LIMIT", n()]),
        lambda: ["SORT", k(), "ALPHA"], lambda: ["SORT", k()],
    ],
    "zset": [
        lambda: ["ZADD", k()] + pick([], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["INCR"], ["GT", "CH"], ["XX", "LT"])
        + [x for _ in range(random.randint(1, 3)) for x in (n(), m())],
        lambda: ["ZINCRBY", k(), n(), m()], lambda: ["ZREM", k()] + ms(), lambda: ["ZSCORE", k(), m()],
        lambda: ["ZMSCORE", k()] + ms(), lambda: ["ZCARD", k()],
        lambda: ["ZRANGE", k(), n(), n()] + pick([], ["WITHSCORES"], ["REV"], ["BYSCORE"], ["BYSCORE", "LIMIT", n(), n()], ["BYLEX"], ["BYLEX", "REV"], ["BYSCORE", "REV", "WITHSCORES"]),
        lambda: ["ZRANGEBYSCORE", k(), n(), n()] + pick([], ["WITHSCORES"], ["LIMIT", n(), n()]),
        lambda: ["ZREVRANGEBYSCORE", k(), n(), n()], lambda: ["ZRANGEBYLEX", k(), n(), n()],
        lambda: ["ZREVRANGEBYLEX", k(), n(), n()], lambda: ["ZLEXCOUNT", k(), n(), n()],
        lambda: ["ZCOUNT", k(), n(), n()], lambda: ["ZRANK", k(), m()], lambda: ["ZREVRANK", k(), m()],
        lambda: ["ZREMRANGEBYRANK", k(), n(), n()], lambda: ["ZREMRANGEBYSCORE", k(), n(), n()],
        lambda: ["ZREMRANGEBYLEX", k(), n(), n()], lambda: ["ZPOPMIN", k()] + pick([], [n()]),
        lambda: ["ZPOPMAX", k(), n()],
        lambda: ["ZUNIONSTORE", k(), "2", k(), k()] + pick([], ["WEIGHTS", n(), n()], ["AGGREGATE", pick("SUM", "MIN", "MAX")]),
        lambda: ["ZINTER", "2", k(), k(), "WITHSCORES"], lambda: ["ZDIFF", "2", k(), k()],
        lambda: ["ZINTERCARD", "2", k(), k()],
        lambda: ["ZRANGESTORE", k(), k(), n(), n()] + pick([], ["BYSCORE"], ["BYLEX"], ["REV"]),
        lambda: ["ZMPOP", "1", k(), pick("MIN", "MAX")] + pick([], ["COUNT", n()]),
    ],
    "str": [
        lambda: ["SET", k(), m()], lambda: ["GET", k()], lambda: ["APPEND", k(), m()], lambda: ["INCR", k()],
        lambda: ["INCRBY", k(), n()], lambda: ["DECRBY", k(), n()],
        lambda: ["INCRBYFLOAT", k(), pick("1", "-2", "0.5", "x", "inf", "1e3")],
        lambda: ["GETRANGE", k(), n(), n()], lambda: ["SETRANGE", k(), pick("0", "1", "3", "-1", "x", "536870912", "-536870912"), m()],
        lambda: ["STRLEN", k()], lambda: ["GETSET", k(), m()], lambda: ["GETDEL", k()],
        lambda: ["MSETNX", k(), m(), k(), m()], lambda: ["SETNX", k(), m()], lambda: ["SUBSTR", k(), n(), n()],
        lambda: ["SETBIT", k(), pick("0", "7", "15", "-1", "x"), pick("0", "1", "2")], lambda: ["GETBIT", k(), n()],
        lambda: ["BITCOUNT", k()] + pick([], [n(), n()], [n(), n(), "BIT"]),
        lambda: ["BITPOS", k(), pick("0", "1")] + pick([], [n()], [n(), n()], [n(), n(), "BIT"]),
        lambda: ["OBJECT", "ENCODING", k()], lambda: ["LCS", k(), k()] + pick([], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"]),
    ],
    "bitfield": [
        lambda: ["BITFIELD", k()] + bitfield_ops(), lambda: ["BITFIELD_RO", k()] + pick([], ["GET", random.choice(BITFIELD_TYPES), random.choice(BITFIELD_OFFSETS)]),
        lambda: ["GET", k()], lambda: ["SET", k(), m()], lambda: ["SETBIT", k(), pick("0", "7", "63"), "1"],
    ],
    "stream": [
        lambda: ["XADD", k()] + pick([], ["NOMKSTREAM"], ["MAXLEN", pick("0", "1", "2", "~", "-1")], ["MINID", sid()]) + [sid(), m(), m()],
        lambda: ["XADD", k(), sid(), m(), m()] * 1,
        lambda: ["XRANGE", k(), sid(), sid()] + pick([], ["COUNT", n()]),
        lambda: ["XREVRANGE", k(), sid(), sid()] + pick([], ["COUNT", n()]),
        lambda: ["XLEN", k()], lambda: ["XDEL", k(), sid()], lambda: ["XTRIM", k(), pick("MAXLEN", "MINID"), pick("0", "1", "2-0", "x")],
        lambda: ["XREAD", "COUNT", pick("1", "2"), "STREAMS", k(), sid()],
        lambda: ["XSETID", k(), sid()],
        lambda: ["XGROUP", "CREATE", k(), "g", pick("0", "$", "1-0")] + pick([], ["MKSTREAM"]),
        lambda: ["XREADGROUP", "GROUP", "g", pick("c1", "c2"), "COUNT", pick("1", "2"), "STREAMS", k(), pick(">", "0")],
        lambda: ["XACK", k(), "g", sid()], lambda: ["XPENDING", k(), "g"],
        lambda: ["XPENDING", k(), "g", "-", "+", "10"],
        lambda: ["XCLAIM", k(), "g", "c3", "0", sid(), "JUSTID"],
        lambda: ["XGROUP", "DESTROY", k(), "g"], lambda: ["XGROUP", "SETID", k(), "g", sid()],
    ],
    "keys": [
        lambda: ["SET", k(), m()], lambda: ["RPUSH", k(), m()], lambda: ["SADD", k(), m()],
        lambda: ["DEL", k(), k()], lambda: ["EXISTS", k(), k()], lambda: ["TYPE", k()],
        lambda: ["RENAME", k(), k()], lambda: ["RENAMENX", k(), k()], lambda: ["COPY", k(), k()] + pick([], ["REPLACE"]),
        lambda: ["EXPIRE", k(), pick("100", "200", "0", "-1", "x")] + pick([], ["NX"], ["XX"], ["GT"], ["LT"]),
        lambda: ["PERSIST", k()], lambda: ["TTL", k()], lambda: ["EXPIRETIME", k()],
        lambda: ["MOVE", k(), pick("1", "0", "x")], lambda: ["UNLINK", k()], lambda: ["DUMP", k()],
    ],
    "hll": [
        lambda: ["PFADD", k()] + ms(0, 4), lambda: ["PFCOUNT", k()] + random.sample(KEYS, random.randint(0, 2)),
        # No APPEND to an HLL: Redis then works on the corrupted sparse value (reading past
        # its end) where Aegisr refuses it with INVALIDOBJ, a deliberate difference.
        lambda: ["PFMERGE", k(), k()], lambda: ["SET", k(), m()], lambda: ["GET", k()], lambda: ["PFDEBUG", "GETREG", k()],
    ],
}

# Replies whose order Redis does not define.
UNORDERED = {
    "SMEMBERS", "SINTER", "SUNION", "SDIFF", "HGETALL", "HKEYS", "HVALS",
}
# Replies compared by shape only: DUMP's payload is Aegisr's own encoding, not RDB's.
SHAPE_ONLY = {"DUMP"}
# Replies holding idle times in milliseconds, which may differ by a tick.
NEAR = {"XPENDING", "XINFO"}


def run_fuzz(rport, aport, seed, rounds, families, length):
    random.seed(seed)
    found = 0
    for protocol in (2, 3):
        redis, aegisr = fresh_pair(rport, aport, protocol)
        for family in families:
            for _ in range(rounds):
                redis.cmd(["FLUSHALL"])
                aegisr.cmd(["FLUSHALL"])
                history = []
                for _ in range(length):
                    command = random.choice(GEN[family])()
                    if random.random() < 0.05 and len(command) > 1:
                        command[1] = "wrongtype"
                    history.append(command)
                    r, a = redis.cmd(command), aegisr.cmd(command)
                    unordered = command[0] in UNORDERED
                    marker = "@shape" if command[0] in SHAPE_ONLY else "@near" if command[0] in NEAR else None
                    if not same(marker, r, a, unordered):
                        found += 1
                        print(f"RESP{protocol} MISMATCH {family}: " + " | ".join(shlex.join(h) for h in history))
                        print(f"   redis:  {show(r, 300)}\n   aegisr: {show(a, 300)}")
                        break
        redis.close()
        aegisr.close()
    print(f"{len(families)} families x {rounds} sequences x 2 protocols, {found} mismatches")
    return found


# --------------------------------------------------------------------------- main


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-port", type=int, default=7502)
    parser.add_argument("--aegisr-port", type=int, default=7501)
    parser.add_argument("--start", action="store_true", help="start both servers on the ports, stop them at the end")
    parser.add_argument("--redis-bin", default="redis-server")
    parser.add_argument("--aegisr-bin", default=os.path.join(root, "target", "debug", "aegisr-server"))
    sub = parser.add_subparsers(dest="mode", required=True)
    corpus = sub.add_parser("corpus", help="run corpus files")
    corpus.add_argument("files", nargs="+")
    corpus.add_argument("-v", "--verbose", action="store_true", help="print every command and Redis's reply")
    corpus.add_argument("-k", "--keep-going", action="store_true", help="go on with a case after a difference")
    fuzz = sub.add_parser("fuzz", help="random command sequences")
    fuzz.add_argument("--seed", type=int, default=1)
    fuzz.add_argument("--rounds", type=int, default=200, help="sequences per family and protocol")
    fuzz.add_argument("--length", type=int, default=25, help="commands per sequence")
    fuzz.add_argument("--families", default=",".join(GEN), help="comma separated: " + ",".join(GEN))
    args = parser.parse_args()

    servers = Servers(args.redis_port, args.aegisr_port, args.redis_bin, args.aegisr_bin) if args.start else None
    try:
        if args.mode == "corpus":
            bad = run_corpus(args.files, args.redis_port, args.aegisr_port, args.verbose, args.keep_going)
        else:
            families = [f for f in args.families.split(",") if f]
            unknown = [f for f in families if f not in GEN]
            if unknown:
                sys.exit(f"unknown families: {', '.join(unknown)}")
            bad = run_fuzz(args.redis_port, args.aegisr_port, args.seed, args.rounds, families, args.length)
    finally:
        if servers:
            servers.stop()
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
