#!/usr/bin/env python3
"""Random differential fuzz: same random commands to Redis and Aegisr, compare replies."""
import random, sys
sys.path.insert(0, "/tmp/diff")
from rdiff import Conn, norm, show

KEYS = ["k1", "k2", "k3"]
MEM = ["a", "b", "c", "d", "1", "2", "-1", "10", "1.5", "", "zz"]
NUMS = ["0", "1", "-1", "2", "-2", "3", "10", "-100", "100", "9223372036854775807", "-9223372036854775808", "x", "1.5", "inf", "-inf", "+inf", "(1", "[a", "-", "+", "(a", "nan", "1e3"]
def k(): return random.choice(KEYS)
def m(): return random.choice(MEM)
def n(): return random.choice(NUMS)
def ms(lo=1, hi=4): return [m() for _ in range(random.randint(lo, hi))]

GEN = {
 "list": [lambda: ["LPUSH", k()] + ms(), lambda: ["RPUSH", k()] + ms(), lambda: ["LPOP", k()], lambda: ["RPOP", k(), n()],
          lambda: ["LRANGE", k(), n(), n()], lambda: ["LINDEX", k(), n()], lambda: ["LSET", k(), n(), m()], lambda: ["LREM", k(), n(), m()],
          lambda: ["LTRIM", k(), n(), n()], lambda: ["LINSERT", k(), random.choice(["BEFORE", "AFTER"]), m(), m()], lambda: ["LLEN", k()],
          lambda: ["LPOS", k(), m()] + random.choice([[], ["RANK", n()], ["COUNT", n()], ["MAXLEN", n()], ["RANK", n(), "COUNT", n()]]),
          lambda: ["LMOVE", k(), k(), random.choice(["LEFT", "RIGHT"]), random.choice(["LEFT", "RIGHT"])],
          lambda: ["LMPOP", "2", k(), k(), random.choice(["LEFT", "RIGHT"])] + random.choice([[], ["COUNT", n()]]),
          lambda: ["LPUSHX", k(), m()], lambda: ["RPOPLPUSH", k(), k()], lambda: ["SORT", k()] + random.choice([[], ["ALPHA"], ["DESC"], ["LIMIT", n(), n()], ["ALPHA", "LIMIT", n(), n()]])],
 "hash": [lambda: ["HSET", k()] + [x for _ in range(random.randint(1, 3)) for x in (m(), m())], lambda: ["HGET", k(), m()], lambda: ["HDEL", k()] + ms(),
          lambda: ["HINCRBY", k(), m(), n()], lambda: ["HINCRBYFLOAT", k(), m(), n()], lambda: ["HGETALL", k()], lambda: ["HMGET", k()] + ms(),
          lambda: ["HSETNX", k(), m(), m()], lambda: ["HSTRLEN", k(), m()], lambda: ["HLEN", k()], lambda: ["HEXISTS", k(), m()], lambda: ["HKEYS", k()], lambda: ["HVALS", k()]],
 "set": [lambda: ["SADD", k()] + ms(), lambda: ["SREM", k()] + ms(), lambda: ["SMEMBERS", k()], lambda: ["SISMEMBER", k(), m()], lambda: ["SMISMEMBER", k()] + ms(),
         lambda: ["SCARD", k()], lambda: ["SINTER", k(), k()], lambda: ["SUNION", k(), k()], lambda: ["SDIFF", k(), k(), k()], lambda: ["SINTERSTORE", k(), k(), k()],
         lambda: ["SUNIONSTORE", k(), k()], lambda: ["SDIFFSTORE", k(), k(), k()], lambda: ["SMOVE", k(), k(), m()], lambda: ["SINTERCARD", "2", k(), k()] + random.choice([[], ["LIMIT", n()]]),
         lambda: ["SORT", k(), "ALPHA"], lambda: ["SORT", k()]],
 "zset": [lambda: ["ZADD", k()] + random.choice([[], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["INCR"], ["GT", "CH"], ["XX", "LT"]]) + [x for _ in range(random.randint(1, 3)) for x in (n(), m())],
          lambda: ["ZINCRBY", k(), n(), m()], lambda: ["ZREM", k()] + ms(), lambda: ["ZSCORE", k(), m()], lambda: ["ZMSCORE", k()] + ms(), lambda: ["ZCARD", k()],
          lambda: ["ZRANGE", k(), n(), n()] + random.choice([[], ["WITHSCORES"], ["REV"], ["BYSCORE"], ["BYSCORE", "LIMIT", n(), n()], ["BYLEX"], ["BYLEX", "REV"], ["BYSCORE", "REV", "WITHSCORES"]]),
          lambda: ["ZRANGEBYSCORE", k(), n(), n()] + random.choice([[], ["WITHSCORES"], ["LIMIT", n(), n()]]), lambda: ["ZREVRANGEBYSCORE", k(), n(), n()],
          lambda: ["ZRANGEBYLEX", k(), n(), n()], lambda: ["ZREVRANGEBYLEX", k(), n(), n()], lambda: ["ZLEXCOUNT", k(), n(), n()], lambda: ["ZCOUNT", k(), n(), n()],
          lambda: ["ZRANK", k(), m()], lambda: ["ZREVRANK", k(), m()], lambda: ["ZREMRANGEBYRANK", k(), n(), n()], lambda: ["ZREMRANGEBYSCORE", k(), n(), n()],
          lambda: ["ZREMRANGEBYLEX", k(), n(), n()], lambda: ["ZPOPMIN", k()] + random.choice([[], [n()]]), lambda: ["ZPOPMAX", k(), n()],
          lambda: ["ZUNIONSTORE", k(), "2", k(), k()] + random.choice([[], ["WEIGHTS", n(), n()], ["AGGREGATE", random.choice(["SUM", "MIN", "MAX"])]]),
          lambda: ["ZINTER", "2", k(), k(), "WITHSCORES"], lambda: ["ZDIFF", "2", k(), k()], lambda: ["ZINTERCARD", "2", k(), k()],
          lambda: ["ZRANGESTORE", k(), k(), n(), n()] + random.choice([[], ["BYSCORE"], ["BYLEX"], ["REV"]]), lambda: ["ZMPOP", "1", k(), random.choice(["MIN", "MAX"])] + random.choice([[], ["COUNT", n()]])],
 "str": [lambda: ["SET", k(), m()], lambda: ["GET", k()], lambda: ["APPEND", k(), m()], lambda: ["INCR", k()], lambda: ["INCRBY", k(), n()], lambda: ["DECRBY", k(), n()],
         lambda: ["INCRBYFLOAT", k(), n()], lambda: ["GETRANGE", k(), n(), n()], lambda: ["SETRANGE", k(), random.choice(["0", "1", "3", "-1", "x"]), m()], lambda: ["STRLEN", k()],
         lambda: ["GETSET", k(), m()], lambda: ["GETDEL", k()], lambda: ["MSETNX", k(), m(), k(), m()], lambda: ["SETNX", k(), m()], lambda: ["SUBSTR", k(), n(), n()],
         lambda: ["SETBIT", k(), random.choice(["0", "7", "15", "-1", "x"]), random.choice(["0", "1", "2"])], lambda: ["GETBIT", k(), n()], lambda: ["BITCOUNT", k()] + random.choice([[], [n(), n()], [n(), n(), "BIT"]]),
         lambda: ["BITPOS", k(), random.choice(["0", "1"])] + random.choice([[], [n()], [n(), n()], [n(), n(), "BIT"]]), lambda: ["OBJECT", "ENCODING", k()]],
}
def main():
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 200
    random.seed(seed)
    r, a = Conn(int(sys.argv[1])), Conn(int(sys.argv[2]))
    found = 0
    for fam in (sys.argv[5].split(",") if len(sys.argv) > 5 else GEN):
        for rnd in range(rounds):
            r.cmd(["FLUSHALL"]); a.cmd(["FLUSHALL"])
            hist = []
            for _ in range(25):
                c = random.choice(GEN[fam])()
                if random.random() < 0.05: c[1] = "wrongtype"
                hist.append(c)
                unordered = c[0] in ("SMEMBERS", "SINTER", "SUNION", "SDIFF", "HGETALL", "HKEYS", "HVALS")
                rr, ar = r.cmd(c), a.cmd(c)
                if norm(rr, unordered) != norm(ar, unordered):
                    found += 1
                    print("MISMATCH", fam, " | ".join(" ".join(repr(x) if x == "" else x for x in h) for h in hist))
                    print("   redis: ", show(rr)[:300]); print("   aegisr:", show(ar)[:300])
                    break
    print("mismatches", found)
main()
