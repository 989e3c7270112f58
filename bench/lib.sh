# bench/lib.sh: what the bench/*.sh scripts share; sourced, not run. It sets ROOT (the repo)
# and TMP (removed on exit, with the server started by start_server stopped first), cds to
# ROOT and builds classer-batch into TMP. KEY is the seeded API key of the servers it starts.
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d "/tmp/classer-$(basename "$0" .sh).XXXXXX")
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
cd "$ROOT"
go build -o "$TMP/classer-batch" .
KEY=sk-bench-12345678

now() { date +%s.%N; }
# cpu PID: the process's CPU seconds so far (utime+stime from /proc).
cpu() { awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"; }

# corpus SIZE: sets CORPUS to $CORPUS if given, else to a bench/gen corpus of SIZE (seed 1).
corpus() {
	CORPUS=${CORPUS:-}
	if [ -z "$CORPUS" ]; then
		CORPUS=$TMP/corpus.ndjson
		go run ./bench/gen -size "$1" -seed 1 > "$CORPUS"
	fi
}

# start_server PORT NAME: `classer-batch serve` (BIN, default the work tree's build) on 127.0.0.1:PORT with data in TMP/data-NAME and
# the log in TMP/serve-NAME.log (extra environment from the caller's exports, e.g. CLASSER_WORKERS);
# sets PID and BASE and waits until /healthz answers.
start_server() {
	BASE=http://127.0.0.1:$1
	CLASSER_API_KEYS=bench:$KEY CLASSER_DATA_DIR=$TMP/data-$2 \
		"${BIN:-$TMP/classer-batch}" serve --addr "127.0.0.1:$1" > "$TMP/serve-$2.log" 2>&1 &
	PID=$!
	i=0
	until curl -sf "$BASE/healthz" > /dev/null; do
		i=$((i + 1)); [ $i -gt 100 ] && { cat "$TMP/serve-$2.log"; exit 1; }; sleep 0.1
	done
}

# stop_server: stops the server start_server started.
stop_server() { kill "$PID"; wait "$PID" 2>/dev/null || true; PID=; }

# labels_json N: the first N of a fixed list of plausible ticket/news labels, a JSON array.
labels_json() {
	awk -v n="$1" 'BEGIN {
		split("billing technical sales shipping refund account login security privacy hardware software network printer delivery invoice pricing contract upgrade cancellation feedback complaint praise bug feature performance outage sports politics science health weather travel food music movies education finance markets energy oil grain farming law crime elections technology business economy employment housing transport aviation automotive retail banking insurance", w, " ")
		printf "["; for (i = 1; i <= n; i++) { l = w[(i-1) % 56 + 1]; if (i > 56) l = l " " int((i-1)/56); printf "%s\"%s\"", (i > 1 ? "," : ""), l }; printf "]" }'
}
