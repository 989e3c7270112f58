#!/bin/sh
# bench/upload_abuse.sh: what unauthenticated upload connections cost the appliance, and
# whether SIGTERM still stops it cleanly while they are open; loopback only.
#
#   bench/upload_abuse.sh [CONNS] [SIZE]      (defaults: 1000 connections, a 1G corpus)
#
# Starts a fresh `classer-batch serve` on 127.0.0.1 with a temporary data dir and uploads a
# bench/gen corpus of SIZE for a job (200 labels, one worker), then:
#   1. CONNS connections to /_blob/upload, half with a pending job's signed URL and half
#      without a signature, each send 1 MB of multipart preamble (bench/abuse);
#   2. the job starts (it is still processing at the SIGTERM), and CONNS more each send 32 KB of preamble (under the form-head limit) and stay open;
# prints the server's RSS (VmRSS) after each phase and its peak (VmHWM), then sends
# SIGTERM with the phase-2 connections open and prints the exit code, the time to exit
# (against http.shutdown_timeout) and the job's state after a restart (processing at a
# checkpoint, or completed). Needs go, curl and jq.
set -eu
CONNS=${1:-1000}
SIZE=${2:-1G}
. "$(dirname "$0")/lib.sh"
corpus "$SIZE"
go build -o "$TMP/abuse" ./bench/abuse
rss() { awk -v f="$1" '$1 == f":" { printf "%.1f MB", $2 / 1024 }' "/proc/$PID/status"; }
job_state() {
	curl -sf "$BASE/v1/batch/$1" -H "Authorization: Bearer $KEY" | jq -c '{status, requests_completed, requests_total}'
}

PORT=$(( 20000 + $$ % 20000 ))
export CLASSER_WORKERS=1 CLASSER_HTTP_SHUTDOWN_TIMEOUT=${CLASSER_HTTP_SHUTDOWN_TIMEOUT:-30s}
start_server "$PORT" abuse
LABELS=$(seq 1 200 | sed 's/.*/"label &"/' | paste -sd, -)
create() {
	curl -sf -X POST "$BASE/v1/batch" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$1"
}
JOB=$(create "{\"labels\":[$LABELS],\"mode\":\"single\"}")
ID=$(echo "$JOB" | jq -r .job_id)
curl -sSf -X POST "$(echo "$JOB" | jq -r .upload_url)" -F "key=$(echo "$JOB" | jq -r .upload_fields.key)" -F "file=@$CORPUS" > /dev/null
PENDING=$(create '{"labels":["billing","technical","sales"],"mode":"single"}')
SIGNED=$(echo "$PENDING" | jq -r .upload_url | sed 's|^https\{0,1\}://[^/]*||')
echo "server before the abuse: VmRSS $(rss VmRSS), VmHWM $(rss VmHWM)"

echo "phase 1: $CONNS connections, each 1 MB of preamble (half with a signed URL)"
"$TMP/abuse" -url "$BASE" -path "$SIGNED" -mix -conns "$CONNS" -preamble $((1 << 20)) < /dev/null
echo "server after phase 1: VmRSS $(rss VmRSS), VmHWM $(rss VmHWM)"

curl -sf -X POST "$BASE/v1/batch/$ID/start" -H "Authorization: Bearer $KEY" > /dev/null
echo "job $ID started: $(job_state "$ID")"
echo "phase 2: $CONNS connections, each 32 KB of preamble, then held open"
mkfifo "$TMP/hold"
"$TMP/abuse" -url "$BASE" -path "$SIGNED" -mix -conns "$CONNS" -preamble $((32 << 10)) < "$TMP/hold" > "$TMP/abuse2.out" &
ABUSE=$!
exec 3> "$TMP/hold" # holds the connections open until closed
until grep -q ready "$TMP/abuse2.out"; do sleep 0.1; done
grep -v ready "$TMP/abuse2.out"
echo "server with them open: VmRSS $(rss VmRSS), VmHWM $(rss VmHWM)"
echo "job before SIGTERM: $(job_state "$ID")"

t0=$(now)
kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
t1=$(now)
PID=
exec 3>&-
wait "$ABUSE" 2>/dev/null || true
echo "SIGTERM with $CONNS connections open: exit code $rc after $(echo "$t1 - $t0" | bc) s (shutdown_timeout $CLASSER_HTTP_SHUTDOWN_TIMEOUT)"
grep -E 'closing the connections|shutting down|shutdown' "$TMP/serve-abuse.log" | tail -3 || true

start_server "$PORT" abuse
echo "job after a restart (before it resumes far): $(job_state "$ID")"
stop_server
