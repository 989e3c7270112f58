#!/usr/bin/env bash
# Measures classification quality: runs `classer-batch eval` over every labelled set in
# ../shared/datasets (each <name>.ndjson with its <name>.job.json), zero-shot and with
# --examples 8, and writes the table to EVAL.md with the commit it measured.
# Deterministic: the same commit gives the same table.
#   DATASETS=dir  where the sets are (default ../shared/datasets)
#   OUT=file      where to write (default EVAL.md)
set -euo pipefail
cd "$(dirname "$0")/.."
DATASETS=${DATASETS:-../shared/datasets}
OUT=${OUT:-EVAL.md}
bin=$(mktemp -d)/classer-batch
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" .

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- . ':!EVAL.md' 2>/dev/null)" ]; then commit="$commit (with uncommitted changes)"; fi

# The hand-written "## What was tried" section (methods tried and their measured effect) is
# kept from the current file: it is not generated.
tried=""
if [ -f "$OUT" ]; then tried=$(sed -n '/^## What was tried/,$p' "$OUT"); fi

rows=""
for job in "$DATASETS"/*.job.json; do
  name=$(basename "$job" .job.json)
  data="$DATASETS/$name.ndjson"
  [ -f "$data" ] || continue
  mode=single
  grep -q '"mode": *"multi"' "$job" && mode=multi
  read -r f1 acc ece n < <("$bin" eval --job "$job" --summary "$data")
  read -r kf1 kacc kece kn < <("$bin" eval --job "$job" --examples 8 --seed 1 --summary "$data")
  if [ "$mode" = multi ]; then ece="–"; kece="–"; fi
  rows+="| $name | $mode | $n | $f1 | $acc | $ece | $kf1 | $kacc | $kece |"$'\n'
done

cat > "$OUT" <<MD
# Classification quality

Measured by \`scripts/eval.sh\` at commit $commit with the built-in model: \`classer-batch eval\` runs the
same pipeline as a batch job on each set of \`../shared/datasets\` using only that set's \`job.json\`
(labels, descriptions, mode). "K=8" draws 8 examples per label from the file into the spec (seed 1)
and scores the remaining lines. Multi mode (reuters_grain_corn_multi) uses the default threshold 0.3;
its accuracy is exact-set match. ECE: expected calibration error of the confidences, 10 bins.

| set | mode | lines | macro-F1 | accuracy | ECE | macro-F1 K=8 | accuracy K=8 | ECE K=8 |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
$rows
Rerun: \`bash scripts/eval.sh\` (a minute or so). Evaluate your own labelled sample with
\`classer-batch eval --job job.json labelled.ndjson\` (lines with \`text\` and \`label\`, or \`labels\` in multi mode).
MD
if [ -n "$tried" ]; then printf '\n%s\n' "$tried" >> "$OUT"; fi
echo "wrote $OUT"
