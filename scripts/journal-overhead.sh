#!/bin/bash
# SET -P 16 / -P 1 against Aegisr with the journal (everysec) and without (--persistence none),
# alternating rounds; server CPU per request from /proc.
BIN=${AEGISR:-target/release/aegisr-server}
cpu() { awk '{print $14+$15}' /proc/$1/stat; }
for round in 1 2 3; do
  for mode in none journal; do
    dir=$(mktemp -d)
    if [ $mode = none ]; then extra="--persistence none"; else extra="--save ''"; fi
    $BIN --port 7171 --grpc-port 0 --metrics-port -1 --dir $dir $extra >/dev/null 2>&1 &
    pid=$!
    sleep 0.5
    for p in 16 1; do
      n=$([ $p = 16 ] && echo 2000000 || echo 200000)
      c0=$(cpu $pid)
      rps=$(redis-benchmark -p 7171 -t set -c 50 -r 100000 -d 32 -P $p -n $n --csv | grep SET | cut -d, -f2 | tr -d '"')
      c1=$(cpu $pid)
      echo "round=$round mode=$mode P=$p rps=$rps cpu_us_per_req=$(echo "($c1-$c0)*10000/$n" | bc -l | cut -c1-5)"
    done
    kill $pid; wait $pid 2>/dev/null; rm -rf $dir
  done
done
