#!/bin/sh
# bench/e2e.sh: the whole batch job through the HTTP API, on loopback only.
#
#   bench/e2e.sh [SIZE] [LABELS...]      e.g. bench/e2e.sh 1G 3 50 200   (defaults: 100M 3 50 200)
#
# For each label count it starts a fresh `classer-batch serve` on 127.0.0.1 with a temporary data
# dir and a seeded key, creates a job, uploads the corpus (bench/gen, seed 1) through the API,
# starts it, polls until completed, and prints upload MB/s, first_s (start -> the first checkpoint
# shows lines done: at most checkpoint_interval, 2 s, after they start; 0.2 s polling), processing
# MB/s and lines/s (start ->
# completed, results durable), the server's CPU seconds for the job (utime+stime from
# /proc/<pid>/stat; MB per CPU-second is steadier than wall time on a shared machine) and its
# peak RSS (VmHWM from /proc/<pid>/status). Below each row, from the server's log: where the input
# was counted (at=upload: on its way in; at=start: a pass before processing) and since_start_ms,
# the time from the start request until the first line goes to the workers.
# Environment: CORPUS=path reuses a corpus, WORKERS=n sets the pool size, TIMEOUT=s bounds each job
# (default 1800). Needs go, curl and jq.
set -eu
SIZE=${1:-100M}
[ $# -gt 0 ] && shift
LABELS=${*:-3 50 200}
. "$(dirname "$0")/lib.sh"
corpus "$SIZE"
BYTES=$(stat -c %s "$CORPUS")
LINES=$(wc -l < "$CORPUS")
TIMEOUT=${TIMEOUT:-1800}
[ -n "${WORKERS:-}" ] && export CLASSER_WORKERS=$WORKERS


printf '%-7s %10s %11s %8s %10s %12s %10s %8s %12s %10s\n' labels input_MB upload_MB/s first_s MB/s lines/s seconds cpu_s MB/cpu_s peakRSS_MB
for N in $LABELS; do
	start_server $(( 20000 + $$ % 20000 + N )) "$N"
	AUTH="Authorization: Bearer $KEY"
	JOB=$(curl -sf -X POST "$BASE/v1/batch" -H "$AUTH" -H 'Content-Type: application/json' \
		-d "{\"labels\":$(labels_json "$N"),\"mode\":\"single\"}")
	JOB_ID=$(echo "$JOB" | jq -r .job_id)
	UPLOAD_URL=$(echo "$JOB" | jq -r .upload_url)
	UKEY=$(echo "$JOB" | jq -r .upload_fields.key)
	t0=$(now)
	curl -sSf -X POST "$UPLOAD_URL" -F "key=$UKEY" -F "file=@$CORPUS" > /dev/null
	t1=$(now)
	c0=$(cpu "$PID")
	t2=$(now)
	curl -sf -X POST "$BASE/v1/batch/$JOB_ID/start" -H "$AUTH" > /dev/null
	tf=
	while :; do
		J=$(curl -sf "$BASE/v1/batch/$JOB_ID" -H "$AUTH")
		ST=$(echo "$J" | jq -r .status)
		if [ -z "$tf" ] && [ "$(echo "$J" | jq -r '.requests_completed + .requests_failed')" -gt 0 ]; then tf=$(now); fi
		case $ST in
		completed) break ;;
		failed) echo "job failed: $(curl -sf "$BASE/v1/batch/$JOB_ID" -H "$AUTH")"; exit 1 ;;
		esac
		if [ "$(echo "$(now) - $t2 > $TIMEOUT" | bc)" = 1 ]; then echo "timeout"; exit 1; fi
		sleep 0.2
	done
	t3=$(now)
	[ -n "$tf" ] || tf=$t3
	c1=$(cpu "$PID")
	RSS=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
	awk -v n="$N" -v b="$BYTES" -v l="$LINES" -v up="$(echo "$t1 - $t0" | bc)" -v s="$(echo "$t3 - $t2" | bc)" -v rss="$RSS" -v c="$(echo "$c1 - $c0" | bc)" -v f="$(echo "$tf - $t2" | bc)" \
		'BEGIN { printf "%-7d %10.1f %11.1f %8.2f %10.1f %12.0f %10.2f %8.2f %12.1f %10.1f\n", n, b/1e6, b/1e6/up, f, b/1e6/s, l/s, s, c, b/1e6/c, rss/1024 }'
	{ grep -o 'at=[a-z]* lines=[0-9]* bytes=[0-9]* count_ms=[0-9]* fit_ms=[0-9]*' "$TMP/serve-$N.log" | sed 's/^/        counted /'
	  grep -o 'since_start_ms=[0-9]*' "$TMP/serve-$N.log" | sed 's/^/        first line to the workers: /'; } || true
	stop_server
	rm -rf "$TMP/data-$N"
done
