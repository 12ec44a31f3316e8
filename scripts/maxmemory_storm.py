#!/usr/bin/env python3
"""How closely maxmemory is held: a 60 s SET storm (redis-benchmark -d 100 -P 16 -c 50 over 10M
keys) against Aegisr and Redis 7 with maxmemory 64mb allkeys-lru; INFO memory sampled every
250 ms. Prints the worst used_memory/maxmemory and used/RSS at the end."""
import subprocess, time, socket, tempfile, os, signal
def info(port):
    s = socket.create_connection(("127.0.0.1", port)); s.sendall(b"*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n")
    data = b""
    while True:
        data += s.recv(65536)
        if data.count(b"\r\n") > 3 and data.endswith(b"\r\n\r\n") or len(data) > 2 and b"mem_allocator" in data and data.endswith(b"\r\n"):
            break
    s.close()
    f = dict(l.split(":", 1) for l in data.decode().split("\r\n") if ":" in l)
    return int(f["used_memory"]), int(f.get("used_memory_rss", 0))
def storm(name, argv, port, seconds=60, maxmem=64 << 20):
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    b = subprocess.Popen(["redis-benchmark", "-p", str(port), "-t", "set", "-n", "100000000", "-r", "10000000", "-d", "100", "-P", "16", "-c", "50", "-q"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worst, samples, rss = 0.0, 0, []
    end = time.time() + seconds
    while time.time() < end:
        used, r = info(port); worst = max(worst, used / maxmem); samples += 1; rss.append(r)
        time.sleep(0.25)
    b.kill(); b.wait()
    used, r = info(port)
    print(f"{name}: {seconds} s storm, {samples} samples: max used_memory/maxmemory {worst:.6f}; at the end used/RSS {used / r:.2f}")
    p.kill(); p.wait()
d = tempfile.mkdtemp()
storm("aegisr", [os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "target", "release", "aegisr-server"), "--port", "6481", "--grpc-port", "0", "--metrics-port", "-1", "--persistence", "none", "--dir", d, "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"], 6481)
storm("redis", ["redis-server", "--port", "6482", "--save", "", "--appendonly", "no", "--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru"], 6482)
