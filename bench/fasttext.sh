#!/bin/sh
# bench/fasttext.sh: Debian's fastText `predict-prob` against the appliance on the same texts.
#
#   bench/fasttext.sh [SIZE] [LABELS...]     e.g. bench/fasttext.sh 1G 3 50   (defaults: 100M 3 50 200)
#
# fastText is trained (dim 100, 5 epochs) on ../shared/datasets/fortunes.ndjson with its labels
# mapped onto N classes (accuracy is not the point: predict cost grows with the label count, and N
# is matched to the appliance's). It then runs `predict-prob model.bin corpus.txt 1` on the
# corpus texts as plain lines (bench/gen -plain, same seed, same lines), in 1 and in 2 processes
# (the file split in halves). The appliance runs the same texts as NDJSON through the same
# pipeline as a batch job (`classer-batch classify`, WORKERS processes' worth of workers = 1 and 2).
# MB/s is over each tool's own input; the ratio is over the time for the same texts.
set -eu
SIZE=${1:-100M}
[ $# -gt 0 ] && shift
LABELS=${*:-3 50 200}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATASETS=${DATASETS:-$ROOT/../shared/datasets}
command -v fasttext > /dev/null || apt-get install -y fasttext > /dev/null
TMP=$(mktemp -d /tmp/classer-ft.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM
cd "$ROOT"
go build -o "$TMP/classer-batch" .
go run ./bench/gen -size "$SIZE" -seed 1 > "$TMP/corpus.ndjson"
NL=$(wc -l < "$TMP/corpus.ndjson")
go run ./bench/gen -size 1000G -lines "$NL" -seed 1 -plain > "$TMP/corpus.txt"
split -n l/2 "$TMP/corpus.txt" "$TMP/half."
JB=$(stat -c %s "$TMP/corpus.ndjson"); PB=$(stat -c %s "$TMP/corpus.txt")
now() { date +%s.%N; }
secs() { echo "$2 - $1" | bc; }

printf 'corpus: %d lines, %.1f MB NDJSON, %.1f MB plain text\n' "$NL" "$(echo "$JB/1000000" | bc -l)" "$(echo "$PB/1000000" | bc -l)"
printf '%-6s %-6s %14s %16s %8s\n' labels procs fastText_MB/s appliance_MB/s ratio
for N in $LABELS; do
	jq -r --argjson n "$N" '"__label__c" + ((.label | explode | map(.) | add) % $n | tostring) + " " + (.text | gsub("\n"; " "))' \
		"$DATASETS/fortunes.ndjson" > "$TMP/train.txt"
	# Make sure every class exists so the output layer has N rows.
	i=0; while [ $i -lt "$N" ]; do echo "__label__c$i filler text number $i" >> "$TMP/train.txt"; i=$((i + 1)); done
	fasttext supervised -input "$TMP/train.txt" -output "$TMP/ft$N" -dim 100 -epoch 5 -thread 2 -verbose 0 > /dev/null
	awk -v n="$N" 'BEGIN { printf "{\"labels\":["; for (i = 0; i < n; i++) printf "%s\"topic %d\"", (i ? "," : ""), i; print "]}" }' > "$TMP/job$N.json"
	for P in 1 2; do
		t0=$(now)
		if [ "$P" = 1 ]; then
			fasttext predict-prob "$TMP/ft$N.bin" "$TMP/corpus.txt" 1 > /dev/null
		else
			fasttext predict-prob "$TMP/ft$N.bin" "$TMP/half.aa" 1 > /dev/null &
			fasttext predict-prob "$TMP/ft$N.bin" "$TMP/half.ab" 1 > /dev/null
			wait
		fi
		t1=$(now)
		"$TMP/classer-batch" classify --workers "$P" --job "$TMP/job$N.json" -o /dev/null "$TMP/corpus.ndjson" 2> /dev/null
		t2=$(now)
		ft=$(secs "$t0" "$t1"); ap=$(secs "$t1" "$t2")
		printf '%-6d %-6d %14.1f %16.1f %7.2fx\n' "$N" "$P" "$(echo "$PB/1000000/$ft" | bc -l)" "$(echo "$JB/1000000/$ap" | bc -l)" "$(echo "$ft/$ap" | bc -l)"
	done
done
