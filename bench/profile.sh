#!/bin/sh
# bench/profile.sh: a CPU profile of a whole job through the API, from the server's pprof
# endpoint (debug.pprof_addr, loopback).
#
#   bench/profile.sh CORPUS [LABELS] [SECONDS] [OUT]   e.g. bench/profile.sh /tmp/classer-c300.ndjson 3 20
#
# Starts `classer-batch serve` (the work tree's, or BIN) on 127.0.0.1, uploads CORPUS to a job of
# LABELS labels (default 3), starts it and profiles the server for SECONDS (default 20; keep it
# shorter than the job), then waits for the job to complete. Writes the profile to OUT (default
# /tmp/classer-cpu.pprof) and prints its top 25 by flat and by cumulative time.
set -eu
CORPUS=${1:?usage: bench/profile.sh CORPUS [LABELS] [SECONDS] [OUT]}
N=${2:-3}
SECS=${3:-20}
OUT=${4:-/tmp/classer-cpu.pprof}
. "$(dirname "$0")/lib.sh"
PPORT=$((30000 + $$ % 20000))
export CLASSER_DEBUG_PPROF_ADDR=127.0.0.1:$PPORT
start_server $((20000 + $$ % 10000)) prof
AUTH="Authorization: Bearer $KEY"
J=$(curl -sf -X POST "$BASE/v1/batch" -H "$AUTH" -H 'Content-Type: application/json' \
	-d "{\"labels\":$(labels_json "$N"),\"mode\":\"single\"}")
JOB_ID=$(echo "$J" | jq -r .job_id)
curl -sSf -X POST "$(echo "$J" | jq -r .upload_url)" -F "key=$(echo "$J" | jq -r .upload_fields.key)" -F "file=@$CORPUS" > /dev/null
curl -sf -X POST "$BASE/v1/batch/$JOB_ID/start" -H "$AUTH" > /dev/null
curl -sf "http://127.0.0.1:$PPORT/debug/pprof/profile?seconds=$SECS" -o "$OUT"
until [ "$(curl -sf "$BASE/v1/batch/$JOB_ID" -H "$AUTH" | jq -r .status)" = completed ]; do sleep 0.5; done
stop_server
go tool pprof -top -nodecount=25 "$TMP/classer-batch" "$OUT" 2> /dev/null
go tool pprof -top -cum -nodecount=25 "$TMP/classer-batch" "$OUT" 2> /dev/null | tail -n 25
