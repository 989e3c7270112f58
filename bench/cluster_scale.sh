#!/bin/bash
# bench/cluster_scale.sh: cluster mode's scaling out (issue 25). A job's speed with a remote
# model is bound by the model server's latency; this measures how it grows with `worker`
# processes. On 127.0.0.1: versitygw (S3), three `serve` nodes in cluster mode with no worker
# slots of their own (so only the workers classify), bench/slowembed (an OpenAI-compatible
# embeddings server answering every request after DELAY, default 20ms, as many at once as
# asked), and the model `slow` (kind openai-embeddings) pointing at it.
#
#   nice -n 5 bench/cluster_scale.sh [SIZE] [WORKERS...]     e.g. bench/cluster_scale.sh 50M 1 2 4
#
# Part 1: for each worker count (default 1 2 4) that many `classer-batch worker` processes
# are started, one job of SIZE (default 50M; bench/gen -seed 1, or $CORPUS) is created on
# node 1, uploaded, started on node 2 and polled on node 3 every 0.5 s; wall seconds are from
# the start to completed (the count pass, every shard, the finalize). It prints workers,
# wall seconds, lines/s, speed-up over the first row and efficiency (speed-up / workers).
# Part 2: two accounts each start a job of half the corpus at once on the largest worker
# count; every 2 s it prints each job's completed lines, then whether both had advanced
# before either finished.
# Part 3: a late small job, on the largest worker count: account bench starts a job of the
# whole corpus; once it has completed lines (its shards are queued), account other starts a
# job of a tenth of it. It prints the small job's wall seconds and how far the big job was
# when the small one completed: the small job's shards are queued behind at most a window of
# the big job's (cluster.job_window; WINDOW here, default 0: twice the cluster's slots), not
# behind all of them. PARTS (default 123) picks the parts to run.
#
# The model's knobs (env): BATCH texts per embeddings request (default 32), CONC requests in
# flight per process (max_concurrency, default 1), SLOTS worker slots per worker (default 2),
# SHARD shard bytes (default 262144: 200 shards of a 50 MB job, so that 4 workers' 8 slots
# share them evenly), LEASE (default 6s), DIMS (default 16). Why these: at 20 ms a request
# and the default 64 texts and 4 requests at once, one worker would do 12,800 lines/s and the
# 50 MB job (267,257 bench/gen lines) in about 20 s, too short next to the fixed count, fit
# and finalize, and 4 workers would then be CPU-bound on this 2-core machine. With 32 texts
# a request and one request at once per worker process, a worker does at most
# CONC*BATCH/DELAY = 1,600 lines/s: the job makes about 8,600 requests (partial batches at
# chunk and shard ends add ~3% to lines/32) and takes about 220 s on one worker, with a small
# fraction of a core busy (workers_cpu_s); the time is the server's latency, as with a GPU server far away.
# Needs go, curl, jq and versitygw ($(go env GOPATH)/bin/versitygw, as .ci/run installs it).
set -eu
SIZE=${1:-50M}
[ $# -gt 0 ] && shift
COUNTS=${*:-1 2 4}
DELAY=${DELAY:-20ms} BATCH=${BATCH:-32} CONC=${CONC:-1} SLOTS=${SLOTS:-2} SHARD=${SHARD:-262144} DIMS=${DIMS:-16} LEASE=${LEASE:-6s}
WINDOW=${WINDOW:-0} PARTS=${PARTS:-123}
. "$(dirname "$0")/lib.sh"
KEY2=sk-bench-87654321

PIDS=()
stop_all() {
	for p in ${PIDS[@]+"${PIDS[@]}"}; do kill "$p" 2>/dev/null || true; done
	for p in ${PIDS[@]+"${PIDS[@]}"}; do wait "$p" 2>/dev/null || true; done
}
# LOGS=dir keeps the processes' logs there (TMP is removed at the end).
trap 'stop_all; [ -n "${LOGS:-}" ] && mkdir -p "$LOGS" && cp "$TMP"/*.log "$LOGS"/; cleanup' EXIT INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		port_free "$p" && { echo "$p"; return; }
	done
}
# wait_for FILE PATTERN WHAT: waits up to two minutes until FILE holds PATTERN.
wait_for() {
	local i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1)); [ $i -gt 1200 ] && { echo "$3 did not start:"; cat "$1"; exit 1; }; sleep 0.1
	done
}

corpus "$SIZE"
LINES=$(wc -l < "$CORPUS")
go build -o "$TMP/slowembed" ./bench/slowembed
command -v jq > /dev/null || { echo "needs jq"; exit 1; }

# S3: versitygw with a fresh directory.
VGW=$(go env GOPATH)/bin/versitygw
[ -x "$VGW" ] || GOFLAGS= go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
mkdir -p "$TMP/vgw"
VPORT=$(free_port)
"$VGW" --access benchaccess --secret benchsecret123456 --port "127.0.0.1:$VPORT" posix "$TMP/vgw" > "$TMP/vgw.log" 2>&1 &
PIDS+=($!)
i=0; while port_free "$VPORT"; do i=$((i + 1)); [ $i -gt 100 ] && { cat "$TMP/vgw.log"; exit 1; }; sleep 0.1; done
export CLASSER_STORAGE_KIND=s3 CLASSER_STORAGE_S3_ENDPOINT=http://127.0.0.1:$VPORT \
	CLASSER_STORAGE_S3_ACCESS_KEY=benchaccess CLASSER_STORAGE_S3_SECRET_KEY=benchsecret123456 \
	CLASSER_STORAGE_S3_BUCKET=classer-scale

"$TMP/slowembed" -addr 127.0.0.1:0 -delay "$DELAY" -dims "$DIMS" > "$TMP/slowembed.log" 2>&1 &
PIDS+=($!)
wait_for "$TMP/slowembed.log" listening slowembed
EMBED=$(sed -n 's/^listening on //p' "$TMP/slowembed.log")
cat > "$TMP/config.yaml" <<EOF
models:
  slow:
    kind: openai-embeddings
    url: $EMBED
    model: slow
    max_concurrency: $CONC
    batch_size: $BATCH
    timeout: 60s
EOF

# Three serve nodes, routed to each other; all their state in the replicated KV buckets.
# The sweeper records progress every LEASE/2: a short lease shows it often.
export CLASSER_API_KEYS="bench:$KEY,other:$KEY2" CLASSER_CLUSTER_SHARD_BYTES=$SHARD CLASSER_CLUSTER_LEASE=$LEASE \
	CLASSER_CLUSTER_JOB_WINDOW=$WINDOW
ROUTES=() CLIENTS=() HTTPS=()
for n in 0 1 2; do ROUTES+=("$(free_port)"); CLIENTS+=("$(free_port)"); HTTPS+=("$(free_port)"); done
for n in 0 1 2; do
	PEERS=
	for m in 0 1 2; do [ $m = $n ] || PEERS=${PEERS:+$PEERS,}nats://127.0.0.1:${ROUTES[$m]}; done
	CLASSER_CLUSTER_ENABLED=true CLASSER_CLUSTER_NODE_NAME=n$((n + 1)) CLASSER_CLUSTER_WORKER_SLOTS=0 \
		CLASSER_CLUSTER_CLIENT_ADDR=127.0.0.1:${CLIENTS[$n]} CLASSER_CLUSTER_ROUTE_ADDR=127.0.0.1:${ROUTES[$n]} \
		CLASSER_CLUSTER_PEERS=$PEERS CLASSER_DATA_DIR=$TMP/node$n \
		"$TMP/classer-batch" serve --config "$TMP/config.yaml" --addr "127.0.0.1:${HTTPS[$n]}" > "$TMP/node$n.log" 2>&1 &
	PIDS+=($!)
done
NODE=()
for n in 0 1 2; do
	NODE+=("http://127.0.0.1:${HTTPS[$n]}")
	i=0; until curl -sf "${NODE[$n]}/healthz" > /dev/null; do
		i=$((i + 1)); [ $i -gt 1200 ] && { echo "node $n did not start:"; cat "$TMP/node$n.log"; exit 1; }; sleep 0.1
	done
done
CONNECT=nats://127.0.0.1:${CLIENTS[0]},nats://127.0.0.1:${CLIENTS[1]},nats://127.0.0.1:${CLIENTS[2]}

# start_workers N: N `classer-batch worker` processes, each with SLOTS slots; WPIDS holds them.
start_workers() {
	WPIDS=()
	for w in $(seq 1 "$1"); do
		"$TMP/classer-batch" worker --config "$TMP/config.yaml" --connect "$CONNECT" --node-name "w$w" --slots "$SLOTS" \
			> "$TMP/worker-$1-$w.log" 2>&1 &
		WPIDS+=($!)
		PIDS+=($!)
	done
	for w in $(seq 1 "$1"); do wait_for "$TMP/worker-$1-$w.log" "worker ready" "worker w$w"; done
}
stop_workers() {
	kill "${WPIDS[@]}"
	for p in "${WPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}

# new_job KEY FILE: creates a job of the model `slow` on node 1 and uploads FILE; prints its id.
new_job() {
	local j
	j=$(curl -sf -X POST "${NODE[0]}/v1/batch" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		-d "{\"labels\":$(labels_json 3),\"mode\":\"single\",\"model\":\"slow\"}")
	# Every upload field (with S3 the URL is a presigned POST: policy and signature), the
	# key first and the file last.
	local f=(-F "key=$(echo "$j" | jq -r .upload_fields.key)")
	while IFS= read -r kv; do f+=(-F "$kv"); done < <(echo "$j" | jq -r '.upload_fields | to_entries[] | select(.key != "key") | "\(.key)=\(.value)"')
	curl -sSf -X POST "$(echo "$j" | jq -r .upload_url)" "${f[@]}" -F "file=@$2" > /dev/null
	echo "$j" | jq -r .job_id
}
start_job() { curl -sf -X POST "${NODE[1]}/v1/batch/$2/start" -H "Authorization: Bearer $1" > /dev/null; }
# job_state KEY ID: "status done" of the job, read on node 3.
job_state() {
	curl -sf "${NODE[2]}/v1/batch/$2" -H "Authorization: Bearer $1" |
		jq -r '"\(.status) \(.requests_completed + .requests_failed) \(.error // "")"'
}
requests() { curl -sf "$EMBED/stats" | jq -r .requests; }
# workers_cpu: the worker processes' CPU seconds so far, added up.
workers_cpu() { local c=0 p; for p in "${WPIDS[@]}"; do c=$(echo "$c + $(cpu "$p")" | bc); done; echo "$c"; }

echo "corpus: $CORPUS ($(stat -c %s "$CORPUS") bytes, $LINES lines); model server: $DELAY per request, $DIMS dims"
echo "model: batch_size $BATCH, max_concurrency $CONC per process; $SLOTS slots per worker; shards of $SHARD bytes; lease $LEASE; job window $WINDOW"
N=${COUNTS##* }
if [[ $PARTS == *1* ]]; then
printf '%-8s %10s %10s %10s %10s %10s %9s %13s\n' workers wall_s lines/s speed-up efficiency requests failed workers_cpu_s
W1=
for N in $COUNTS; do
	start_workers "$N"
	ID=$(new_job "$KEY" "$CORPUS")
	r0=$(requests)
	c0=$(workers_cpu)
	t0=$(now)
	start_job "$KEY" "$ID"
	while :; do
		read -r ST DONE ERR <<< "$(job_state "$KEY" "$ID")"
		case $ST in
		completed) break ;;
		failed) echo "job $ID failed: $ERR"; exit 1 ;;
		esac
		sleep 0.5
	done
	t1=$(now)
	c1=$(workers_cpu)
	FAILED=$(curl -sf "${NODE[2]}/v1/batch/$ID" -H "Authorization: Bearer $KEY" | jq -r .requests_failed)
	stop_workers
	WALL=$(echo "$t1 - $t0" | bc)
	W1=${W1:-$WALL} N1=${N1:-$N}
	awk -v n="$N" -v s="$WALL" -v l="$LINES" -v w1="$W1" -v n1="$N1" -v r="$(($(requests) - r0))" -v f="$FAILED" -v c="$(echo "$c1 - $c0" | bc)" \
		'BEGIN { su = w1 / s; printf "%-8d %10.1f %10.0f %10.2f %10.2f %10d %9d %13.1f\n", n, s, l / s, su, su / (n / n1), r, f, c }'
done

fi

# Part 2: two accounts, a job each, started at once.
if [[ $PARTS == *2* ]]; then
HALF=$TMP/half.ndjson
head -n $((LINES / 2)) "$CORPUS" > "$HALF"
HL=$(wc -l < "$HALF")
echo
echo "two accounts at once on $N workers, $HL lines each: completed lines every 2 s"
start_workers "$N"
A=$(new_job "$KEY" "$HALF")
B=$(new_job "$KEY2" "$HALF")
t0=$(now)
start_job "$KEY" "$A"
start_job "$KEY2" "$B"
printf '%8s %12s %12s\n' seconds bench other
BOTH= FIRST_END=
while :; do
	read -r SA DA _ <<< "$(job_state "$KEY" "$A")"
	read -r SB DB _ <<< "$(job_state "$KEY2" "$B")"
	T=$(echo "$(now) - $t0" | bc)
	printf '%8.1f %12s %12s\n' "$T" "$DA ($SA)" "$DB ($SB)"
	[ -z "$BOTH" ] && [ "$DA" -gt 0 ] && [ "$DB" -gt 0 ] && [ "$SA" = processing ] && [ "$SB" = processing ] && BOTH=$T
	[ -z "$FIRST_END" ] && { [ "$SA" != processing ] || [ "$SB" != processing ]; } && FIRST_END=$T
	[ "$SA" = processing ] || [ "$SB" = processing ] || break
	sleep 2
done
stop_workers
if [ -n "$BOTH" ]; then
	echo "both jobs had completed lines while both were processing, at ${BOTH} s; the first finished by ${FIRST_END} s"
else
	echo "NOT both: one job finished (by ${FIRST_END} s) before the other had completed lines while both ran"
fi
fi

# Part 3: a late small job of another account.
if [[ $PARTS == *3* ]]; then
TENTH=$TMP/tenth.ndjson
head -n $((LINES / 10)) "$CORPUS" > "$TENTH"
echo
echo "a late small job on $N workers: $(wc -l < "$TENTH") lines (account other) started once $LINES (account bench) have completed lines"
start_workers "$N"
A=$(new_job "$KEY" "$CORPUS")
B=$(new_job "$KEY2" "$TENTH")
start_job "$KEY" "$A"
while read -r SA DA _ <<< "$(job_state "$KEY" "$A")"; [ "$SA" = processing ] && [ "$DA" -eq 0 ]; do sleep 0.5; done
t0=$(now)
start_job "$KEY2" "$B"
while read -r SB DB _ <<< "$(job_state "$KEY2" "$B")"; [ "$SB" = processing ]; do sleep 0.5; done
t1=$(now)
read -r SA DA _ <<< "$(job_state "$KEY" "$A")"
printf 'small job %s in %.1f s; the big job then %s with %s of %s lines done\n' "$SB" "$(echo "$t1 - $t0" | bc)" "$SA" "$DA" "$LINES"
stop_workers
fi
