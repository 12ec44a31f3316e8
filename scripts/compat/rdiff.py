#!/usr/bin/env python3
"""Differential check: run command sequences against Redis and Aegisr, compare raw replies."""
import socket, sys, shlex

def enc(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        if isinstance(a, str): a = a.encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out

class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port)); self.buf = b""
    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d: raise EOFError
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1); return l
    def exact(self, n):
        while len(self.buf) < n + 2:
            d = self.s.recv(65536)
            if not d: raise EOFError
            self.buf += d
        v, self.buf = self.buf[:n], self.buf[n+2:]; return v
    def reply(self):
        l = self.line(); t, rest = l[:1], l[1:]
        if t in (b"+", b"-", b":", b",", b"#", b"_", b"("): return (t, rest)
        if t in (b"$", b"=", b"!"):
            n = int(rest)
            return (t, None) if n < 0 else (t, self.exact(n))
        if t in (b"*", b"~", b">"):
            n = int(rest)
            return (t, None) if n < 0 else (t, [self.reply() for _ in range(n)])
        if t == b"%" or t == b"|":
            n = int(rest)
            items = [(self.reply(), self.reply()) for _ in range(n)]
            if t == b"|": return self.reply()
            return (t, items)
        return ("?", l)
    def cmd(self, args):
        self.s.sendall(enc(args)); return self.reply()

def show(r):
    t, v = r
    if isinstance(t, bytes): t = t.decode()
    if isinstance(v, list):
        return t + "[" + ", ".join(show(x) if not isinstance(x, tuple) or len(x) != 2 or not isinstance(x[0], tuple) else show(x[0]) + ":" + show(x[1]) for x in v) + "]"
    if isinstance(v, bytes): return t + repr(v)[1:]
    return t + str(v)

def norm(r, unordered):
    # unordered: sort arrays/sets (for commands whose order is unspecified)
    t, v = r
    if isinstance(v, list):
        items = [norm(x, unordered) if isinstance(x, tuple) and not isinstance(x[0], tuple) else (norm(x[0], unordered), norm(x[1], unordered)) for x in v]
        if unordered or t in (b"~", b"%"): items = sorted(items, key=repr)
        return (t, items)
    return r

def run(cases, rport, aport, proto):
    bad = 0
    for case in cases:
        unordered = case.startswith("~")
        lines = [l for l in case.lstrip("~").strip().split("\n") if l.strip()]
        r, a = Conn(rport), Conn(aport)
        for c in (r, a):
            if proto == 3: c.cmd(["HELLO", "3"])
            c.cmd(["FLUSHALL"])
        for l in lines:
            args = shlex.split(l)
            rr, ar = r.cmd(args), a.cmd(args)
            if norm(rr, unordered) != norm(ar, unordered):
                bad += 1
                print(f"RESP{proto} MISMATCH  {l}\n   redis:  {show(rr)}\n   aegisr: {show(ar)}")
                break
    return bad

if __name__ == "__main__":
    rport, aport, corpus = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    cases = open(corpus).read().split("\n\n")
    n = run(cases, rport, aport, 2) + run(cases, rport, aport, 3)
    print(f"{len(cases)} cases, {n} mismatches")
