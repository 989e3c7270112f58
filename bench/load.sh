#!/bin/sh
# bench/load.sh: starts `classer-batch serve` on 127.0.0.1 with a temporary data dir and a seeded
# key, then runs bench/load (200 keep-alive clients on /v1/classify, DURATION, default 10s):
# first closed loop (as fast as answers come), then, with RATE set (e.g. RATE=10000), open loop
# at RATE requests/s, latency counted from when each request was due.
# With Debian's wrk installed it also runs bench/wrk/classify.lua, flat out and paced.
#   bench/load.sh [CLIENTS] [DURATION]        RATE=10000 bench/load.sh 200 10s
set -eu
C=${1:-200}; D=${2:-10s}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/classer-load.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
cd "$ROOT"
go build -o "$TMP/classer-batch" .
go build -o "$TMP/load" ./bench/load
PORT=$(( 20000 + $$ % 20000 ))
CLASSER_API_KEYS=bench:sk-bench-12345678 CLASSER_DATA_DIR=$TMP/data \
	"$TMP/classer-batch" serve --addr 127.0.0.1:$PORT > "$TMP/serve.log" 2>&1 &
PID=$!
i=0
until curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && { cat "$TMP/serve.log"; exit 1; }; sleep 0.1
done
# Server CPU per request (utime+stime from /proc): steadier than latency on a shared machine.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' /proc/$PID/stat; }
run() {
	c0=$(cpu)
	out=$("$TMP/load" -url "http://127.0.0.1:$PORT" -key sk-bench-12345678 -c "$C" -d "$D" "$@")
	c1=$(cpu)
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
		c0=$(cpu)
		out=$(KEY=sk-bench-12345678 DELAY_MS=$d wrk -t2 -c"$C" -d"$D" -s bench/wrk/classify.lua "http://127.0.0.1:$PORT" | tail -1)
		c1=$(cpu)
		echo "$out delay_ms=$d server_cpu_s=$(echo "$c1 - $c0" | bc)"
	done
fi
echo "server peak RSS: $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$PID/status)"
