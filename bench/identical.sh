#!/bin/sh
# bench/identical.sh: checks that the working tree classifies exactly like a base commit.
#
#   bench/identical.sh BASE [INPUT]     e.g. bench/identical.sh HEAD~3
#
# Builds `classer-batch` from BASE (git archive, the work tree is not touched) and from the work
# tree, runs `classer-batch classify` with both on INPUT (default: a 20 MB bench/gen corpus plus
# ../shared/datasets/*.ndjson) for 3, 50 and 200 labels single and 3 and 50 multi, and compares
# the result files byte for byte. Exits 1 on any difference. Speed changes must pass this.
set -eu
BASE=${1:?usage: bench/identical.sh BASE [INPUT]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d /tmp/classer-ident.XXXXXX)
trap 'rm -rf "$TMP"' EXIT INT TERM
cd "$ROOT"
mkdir "$TMP/base"
git archive "$BASE" | tar -x -C "$TMP/base"
(cd "$TMP/base" && go build -o "$TMP/cb-base" .)
go build -o "$TMP/cb-new" .
IN=${2:-}
if [ -z "$IN" ]; then
	IN=$TMP/input.ndjson
	go run ./bench/gen -size 20M -seed 7 > "$IN"
	cat "$ROOT"/../shared/datasets/*.ndjson >> "$IN" 2> /dev/null || true
fi
words="billing technical sales shipping refund account login security privacy hardware software network printer delivery invoice pricing contract upgrade cancellation feedback complaint praise bug feature performance outage sports politics science health weather travel food music movies education finance markets energy oil grain farming law crime elections technology business economy employment housing transport aviation automotive retail banking insurance"
status=0
for job in 3:single 50:single 200:single 3:multi 50:multi; do
	n=${job%%:*}; mode=${job#*:}
	echo "$words" | awk -v n="$n" -v mode="$mode" '{ printf "{\"labels\":["; for (i = 1; i <= n; i++) { l = $((i-1) % NF + 1); if (i > NF) l = l " " int((i-1)/NF); printf "%s\"%s\"", (i > 1 ? "," : ""), l }; printf "],\"mode\":\"%s\"}\n", mode }' > "$TMP/job.json"
	"$TMP/cb-base" classify --job "$TMP/job.json" -o "$TMP/base.out" "$IN" 2> /dev/null
	"$TMP/cb-new" classify --job "$TMP/job.json" -o "$TMP/new.out" "$IN" 2> /dev/null
	if cmp -s "$TMP/base.out" "$TMP/new.out"; then
		echo "$n labels $mode: identical ($(wc -l < "$TMP/new.out") lines)"
	else
		echo "$n labels $mode: DIFFERENT"; cmp "$TMP/base.out" "$TMP/new.out" | head -1; status=1
	fi
done
exit $status
