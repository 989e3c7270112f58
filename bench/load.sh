#!/bin/sh
# bench/load.sh: starts `classer-batch serve` on 127.0.0.1 with a temporary data dir and a seeded
# key, then runs bench/load (200 keep-alive clients on /v1/classify, DURATION, default 10s):
# first closed loop (as fast as answers come), then, with RATE set (e.g. RATE=10000), open loop
# at RATE requests/s, latency counted from when each request was due.
# With Debian's wrk installed it also runs bench/wrk/classify.lua, flat out and paced.
#   bench/load.sh [CLIENTS] [DURATION]        RATE=10000 bench/load.sh 200 10s
set -eu
C=${1:-200}; D=${2:-10s}
. "$(dirname "$0")/lib.sh"
go build -o "$TMP/load" ./bench/load
PORT=$(( 20000 + $$ % 20000 ))
start_server "$PORT" load
# Server CPU per request (utime+stime from /proc): steadier than latency on a shared machine.
run() {
	c0=$(cpu "$PID")
	out=$("$TMP/load" -url "http://127.0.0.1:$PORT" -key "$KEY" -c "$C" -d "$D" "$@")
	c1=$(cpu "$PID")
	ok=$(echo "$out" | sed -n 's/.* ok=\([0-9]*\).*/\1/p')
	echo "$out server_cpu_s=$(echo "$c1 - $c0" | bc) cpu_us/req=$(echo "($c1 - $c0) * 1000000 / $ok" | bc)"
}
run
if [ -n "${RATE:-}" ]; then
	run -rate "$RATE"
fi
# Debian's wrk (apt-get install wrk), when present: a C generator that takes less of the two
# cores than bench/load, flat out and then paced by DELAY_MS per connection (default 17 ms:
# 200 connections ask for about 10,000 requests/s). wrk times a request from when it is sent.
if command -v wrk > /dev/null; then
	for d in 0 "${DELAY_MS:-17}"; do
		c0=$(cpu "$PID")
		out=$(KEY=$KEY DELAY_MS=$d wrk -t2 -c"$C" -d"$D" -s bench/wrk/classify.lua "http://127.0.0.1:$PORT" | tail -1)
		c1=$(cpu "$PID")
		echo "$out delay_ms=$d server_cpu_s=$(echo "$c1 - $c0" | bc)"
	done
fi
echo "server peak RSS: $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$PID/status)"
