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
. "$(dirname "$0")/lib.sh"
corpus "$SIZE"
BYTES=$(stat -c %s "$CORPUS")
start_server $(( 20000 + $$ % 20000 )) upload
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
