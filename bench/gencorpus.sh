#!/bin/bash
# bench/gencorpus.sh: a base commit, the work tree and fastText side by side, in one run, on the
# mixed corpus of ../shared/bench/gencorpus (issue 23).
#
#   bench/gencorpus.sh [CORPUS] [BASE] [LABELS...]    e.g. bench/gencorpus.sh /tmp/c300.ndjson a2b2121 3 50
#
# CORPUS (default /tmp/classer-c300.ndjson) is made if missing: gencorpus -mb 300 -seed 11 with the
# README's seed texts; its plain-text form (CORPUS minus .ndjson plus .txt: newlines, carriage
# returns and tabs in a text become spaces) is cached beside it. For each label count (default 3
# 50), each binary (BASE built from git archive, then the work tree) runs the whole job through
# the API: `serve` on 127.0.0.1 with a fresh data dir, create, upload, start, poll every 0.2 s
# until completed, download. It prints MB/s (start -> completed, results durable), the server's
# CPU seconds over that span (utime+stime from /proc/<pid>/stat), MB per CPU-second, peak RSS
# (VmHWM), and the download's seconds; the two downloads are compared byte for byte. fastText:
# trained for one epoch, dim 100, on the first 300,000 texts with random labels (awk srand(11)),
# N labels; `predict-prob model.bin half 1` in 2 processes, one per half of the plain texts;
# its wall and CPU seconds (bash's time, children included). The last lines per label count are
# the ratios: the work tree over BASE in MB per CPU-second, and the work tree's job over fastText
# on the same texts, by wall time and by CPU time. RUNS=n (default 1) runs each binary's job n
# times, alternating, and takes the ratios from the medians: on a shared machine one run can
# be far off. Needs go, curl, jq and fasttext.
set -eu
CORPUS=${1:-/tmp/classer-c300.ndjson}
BASE_REV=${2:-a2b2121}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
LABELS=${*:-3 50}
. "$(dirname "$0")/lib.sh"
DATASETS=${DATASETS:-$ROOT/../shared/datasets}
command -v fasttext > /dev/null || apt-get install -y fasttext > /dev/null

if [ ! -s "$CORPUS" ]; then
	(cd "$ROOT/../shared/bench/gencorpus" && go build -o "$TMP/gencorpus" .)
	D=$DATASETS
	"$TMP/gencorpus" -mb 300 -seed 11 -o "$CORPUS" \
		-seedtext "$D/uci_sentiment.ndjson,$D/fortunes.ndjson,$D/reuters_grain.ndjson,$D/spamassassin.ndjson"
fi
PLAIN=${CORPUS%.ndjson}.txt
[ -s "$PLAIN" ] || jq -r '.text | gsub("[\r\n\t]"; " ")' "$CORPUS" > "$PLAIN"
split -n l/2 "$PLAIN" "$TMP/half."
BYTES=$(stat -c %s "$CORPUS")
PBYTES=$(stat -c %s "$PLAIN")

mkdir "$TMP/base"
git archive "$BASE_REV" | tar -x -C "$TMP/base"
(cd "$TMP/base" && go build -o "$TMP/cb-base" .)
NEW=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . || echo +dirty)

# job N NAME: one whole job through the API with BIN; sets the row's numbers.
job() {
	start_server $((20000 + $$ % 20000 + $1)) "$2"
	AUTH="Authorization: Bearer $KEY"
	J=$(curl -sf -X POST "$BASE/v1/batch" -H "$AUTH" -H 'Content-Type: application/json' \
		-d "{\"labels\":$(labels_json "$1"),\"mode\":\"single\"}")
	JOB_ID=$(echo "$J" | jq -r .job_id)
	curl -sSf -X POST "$(echo "$J" | jq -r .upload_url)" -F "key=$(echo "$J" | jq -r .upload_fields.key)" -F "file=@$CORPUS" > /dev/null
	c0=$(cpu "$PID"); t0=$(now)
	curl -sf -X POST "$BASE/v1/batch/$JOB_ID/start" -H "$AUTH" > /dev/null
	while :; do
		ST=$(curl -sf "$BASE/v1/batch/$JOB_ID" -H "$AUTH" | jq -r .status)
		case $ST in
		completed) break ;;
		failed) echo "job failed: $(curl -sf "$BASE/v1/batch/$JOB_ID" -H "$AUTH")"; exit 1 ;;
		esac
		sleep 0.2
	done
	t1=$(now); c1=$(cpu "$PID")
	RSS=$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$PID/status")
	curl -sf "$(curl -sf "$BASE/v1/batch/$JOB_ID/results" -H "$AUTH" | jq -r .download_url)" -o "$TMP/out-$2"
	t2=$(now)
	stop_server
	rm -rf "$TMP/data-$2"
	SECS=$(echo "$t1 - $t0" | bc); CPUS=$(echo "$c1 - $c0" | bc); DL=$(echo "$t2 - $t1" | bc)
}

echo "corpus: $CORPUS, $(wc -l < "$CORPUS") lines, $BYTES bytes NDJSON, $PBYTES bytes plain"
printf '%-6s %-16s %8s %8s %8s %10s %10s %8s\n' labels run MB/s seconds cpu_s MB/cpu_s peakRSS_MB dl_s
RUNS=${RUNS:-1}
# median: the median of its arguments.
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
row() { printf '%-6s %-16s %8.1f %8.2f %8.2f %10.1f %10.1f %8.2f\n' "$1" "$2" "$(echo "$BYTES/1000000/$SECS" | bc -l)" "$SECS" "$CPUS" "$(echo "$BYTES/1000000/$CPUS" | bc -l)" "$RSS" "$DL"; }
for N in $LABELS; do
	bcs= ncs= nss= same=identical
	for r in $(seq "$RUNS"); do
		BIN=$TMP/cb-base job "$N" base
		row "$N" "$BASE_REV"
		bcs="$bcs $CPUS"
		BIN= job "$N" new
		row "$N" "$NEW"
		ncs="$ncs $CPUS" nss="$nss $SECS"
		cmp -s "$TMP/out-base" "$TMP/out-new" || same=DIFFERENT
		rm -f "$TMP/out-base" "$TMP/out-new"
	done
	bc_=$(median $bcs) CPUS=$(median $ncs) SECS=$(median $nss)

	head -n 300000 "$PLAIN" | awk -v n="$N" 'BEGIN { srand(11) } { printf "__label__c%d %s\n", int(rand() * n), $0 }' > "$TMP/train.txt"
	fasttext supervised -input "$TMP/train.txt" -output "$TMP/ft" -dim 100 -epoch 1 -thread 2 -verbose 0 > /dev/null
	TIMEFORMAT='%R %U %S'
	FT=$( { time { fasttext predict-prob "$TMP/ft.bin" "$TMP/half.aa" 1 > /dev/null &
		fasttext predict-prob "$TMP/ft.bin" "$TMP/half.ab" 1 > /dev/null; wait; }; } 2>&1)
	read -r fs fu fsys <<< "$FT"
	fc=$(echo "$fu + $fsys" | bc)
	printf '%-6s %-16s %8.1f %8.2f %8.2f %10.1f %10s %8s\n' "$N" "fastText x2" "$(echo "$PBYTES/1000000/$fs" | bc -l)" "$fs" "$fc" "$(echo "$PBYTES/1000000/$fc" | bc -l)" - -
	printf '       results %s; median MB/cpu_s %s over %s: %.2fx; job over fastText: %.2fx wall, %.2fx CPU\n' \
		"$same" "$NEW" "$BASE_REV" "$(echo "$bc_/$CPUS" | bc -l)" "$(echo "$fs/$SECS" | bc -l)" "$(echo "$fc/$CPUS" | bc -l)"
done
