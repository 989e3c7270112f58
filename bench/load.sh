#!/bin/sh
# bench/load.sh: starts `classer-batch serve` on 127.0.0.1 with a temporary data dir and a seeded
# key, then runs bench/load (200 keep-alive clients on /v1/classify, DURATION, default 10s).
#   bench/load.sh [CLIENTS] [DURATION]
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
"$TMP/load" -url "http://127.0.0.1:$PORT" -key sk-bench-12345678 -c "$C" -d "$D"
echo "server peak RSS: $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$PID/status)"
