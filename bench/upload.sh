#!/bin/sh
# bench/upload.sh: upload speed to local storage through the API, on loopback only.
#
#   bench/upload.sh [SIZE] [RUNS]      e.g. bench/upload.sh 1G 3   (defaults: 1G 3)
#
# Starts a fresh `classer-batch serve` on 127.0.0.1 with a temporary data dir, then RUNS times:
# creates a job and uploads the corpus (bench/gen, seed 1, or CORPUS=path) with curl's multipart
# form to the job's signed upload URL, and prints MB/s of request body (until the server's 204,
# which it sends after the file is fsynced) and the server's CPU seconds for the upload.
# Needs go, curl and jq.
set -eu
SIZE=${1:-1G}
RUNS=${2:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/classer-upload.XXXXXX)
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM

cd "$ROOT"
go build -o "$TMP/classer-batch" .
CORPUS=${CORPUS:-}
if [ -z "$CORPUS" ]; then
	CORPUS=$TMP/corpus.ndjson
	go run ./bench/gen -size "$SIZE" -seed 1 > "$CORPUS"
fi
BYTES=$(stat -c %s "$CORPUS")
KEY=sk-bench-12345678
PORT=$(( 20000 + $$ % 20000 ))
BASE=http://127.0.0.1:$PORT
CLASSER_API_KEYS=bench:$KEY CLASSER_DATA_DIR=$TMP/data \
	"$TMP/classer-batch" serve --addr 127.0.0.1:$PORT > "$TMP/serve.log" 2>&1 &
PID=$!
i=0
until curl -sf "$BASE/healthz" > /dev/null; do
	i=$((i + 1)); [ $i -gt 100 ] && { cat "$TMP/serve.log"; exit 1; }; sleep 0.1
done
now() { date +%s.%N; }
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' /proc/$1/stat; }
printf '%-4s %10s %11s %8s %8s\n' run input_MB upload_MB/s seconds cpu_s
for r in $(seq 1 "$RUNS"); do
	JOB=$(curl -sf -X POST "$BASE/v1/batch" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
		-d '{"labels":["billing","technical","sales"],"mode":"single"}')
	UPLOAD_URL=$(echo "$JOB" | jq -r .upload_url)
	UKEY=$(echo "$JOB" | jq -r .upload_fields.key)
	c0=$(cpu "$PID"); t0=$(now)
	curl -sSf -X POST "$UPLOAD_URL" -F "key=$UKEY" -F "file=@$CORPUS" > /dev/null
	t1=$(now); c1=$(cpu "$PID")
	awk -v r="$r" -v b="$BYTES" -v s="$(echo "$t1 - $t0" | bc)" -v c="$(echo "$c1 - $c0" | bc)" \
		'BEGIN { printf "%-4d %10.1f %11.1f %8.2f %8.2f\n", r, b/1e6, b/1e6/s, s, c }'
done
echo "server peak RSS: $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$PID/status)"
