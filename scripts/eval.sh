#!/usr/bin/env bash
# Measures classification quality: runs `classer-batch eval` over every labelled set in
# ../shared/datasets (each <name>.ndjson with its <name>.job.json) in three regimes, beside the
# reference method (`eval --reference`), plus the pipeline with 8 examples per label, and
# writes EVAL.md with the commit it measured. Deterministic: the same commit gives the same
# file. Exits non-zero, naming the set, if the datasets folder is missing or any run fails.
# Then two harnesses on the single-label sets (issue 24): distractors (two labels no line is
# about, added to each set) and base rates (each two-label set resampled to 20 / 50 / 80 % of
# its first label).
#   DATASETS=dir  where the sets are (default ../shared/datasets)
#   OUT=file      where to write (default EVAL.md)
#   EVAL_TEXT_TYPES="name=phrase;..."  text_type phrases for sets this script does not know
set -euo pipefail
cd "$(dirname "$0")/.."
DATASETS=${DATASETS:-../shared/datasets}
OUT=${OUT:-EVAL.md}
if [ ! -d "$DATASETS" ] || ! ls "$DATASETS"/*.job.json >/dev/null 2>&1; then
  echo "eval.sh: no datasets at $DATASETS (expected <name>.job.json and <name>.ndjson files; set DATASETS=dir)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
started=$SECONDS
bin=$tmp/classer-batch
go build -o "$bin" .

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain -- . ':!EVAL.md' 2>/dev/null)" ]; then commit="$commit (with uncommitted changes)"; fi

# The third regime's text_type: one plain phrase per set saying what kind of texts they are
# (what a user would write), never what the labels are. EVAL_TEXT_TYPES="name=phrase;..."
# adds or overrides phrases for other sets.
text_type() {
  local kv
  IFS=';' read -ra kv <<<"${EVAL_TEXT_TYPES:-}"
  for e in "${kv[@]}"; do
    if [ "${e%%=*}" = "$1" ]; then echo "${e#*=}"; return; fi
  done
  case "$1" in
    atis) echo "air travel questions" ;;
    alexa_reviews) echo "product reviews" ;;
    bitext_support_categories) echo "customer support requests" ;;
    clickbait_headlines) echo "news headlines" ;;
    clinc150) echo "requests to a virtual assistant" ;;
    disaster_tweets | tweeteval_irony) echo "tweets" ;;
    emotion) echo "tweets" ;;
    financial_phrasebank) echo "financial news sentences" ;;
    fortunes) echo "jokes and quotations" ;;
    goemotions) echo "Reddit comments" ;;
    movie_genres) echo "movie plot summaries" ;;
    reuters_grain | reuters_grain_corn_multi) echo "news articles" ;;
    sms_spam) echo "text messages" ;;
    snips) echo "requests to a voice assistant" ;;
    spamassassin) echo "emails" ;;
    sst5) echo "movie review sentences" ;;
    subjectivity) echo "sentences about movies" ;;
    tweeteval_sentiment) echo "tweets" ;;
    twenty_newsgroups) echo "newsgroup posts" ;;
    uci_sentiment) echo "reviews" ;;
    *) echo "" ;;
  esac
}

# run NAME ARGS...: one summary line "macro_f1 accuracy ece lines", or exit naming the run.
run() {
  local name=$1; shift
  local out
  if ! out=$("$bin" eval --summary "$@" 2>"$tmp/err"); then
    echo "eval.sh: $name: classer-batch eval $* failed:" >&2
    cat "$tmp/err" >&2
    exit 1
  fi
  echo "$out"
}

# regime_args REGIME TEXT_TYPE sets args to the eval flags of a regime: names (label names
# only), desc (the job.json as written) or type (descriptions plus the set's text_type).
regime_args() {
  case $1 in
    names) args=(--names-only) ;;
    desc) args=() ;;
    type) args=(--text-type "$2") ;;
  esac
}

# rows: set mode lines regime f1 ece ref (tab-separated), one per set and regime.
: >"$tmp/rows"
for job in "$DATASETS"/*.job.json; do
  name=$(basename "$job" .job.json)
  data="$DATASETS/$name.ndjson"
  if [ ! -f "$data" ]; then echo "eval.sh: $name: $data is missing" >&2; exit 1; fi
  mode=single
  grep -q '"mode": *"multi"' "$job" && mode=multi
  tt=$(text_type "$name")
  if [ -z "$tt" ]; then echo "eval.sh: $name: no text_type for this set in scripts/eval.sh" >&2; exit 1; fi
  for regime in names desc type; do
    regime_args "$regime" "$tt"
    read -r f1 _ ece n < <(run "$name/$regime" --job "$job" "${args[@]}" "$data")
    ref="-"
    if [ "$mode" = single ]; then
      read -r ref _ _ _ < <(run "$name/$regime/reference" --job "$job" "${args[@]}" --reference "$data")
    else
      ece="-"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$mode" "$n" "$regime" "$f1" "$ece" "$ref" >>"$tmp/rows"
  done
  read -r kf1 _ kece _ < <(run "$name/examples" --job "$job" --examples 8 --seed 1 "$data")
  [ "$mode" = multi ] && kece="-"
  printf '%s\t%s\t%s\texamples\t%s\t%s\t-\n' "$name" "$mode" "$n" "$kf1" "$kece" >>"$tmp/rows"
done

# --- Distractors and base rates (issue 24, single-label sets) --------------------------------

# job_labels JOB: the job's label names, one a line (job.json's "labels" array of plain strings).
job_labels() {
  tr -d '\n' <"$1" | sed -n 's/.*"labels"[[:space:]]*:[[:space:]]*\[\([^]]*\)\].*/\1/p' |
    grep -o '"[^"]*"' | tr -d '"'
}

# distractors JOB: the first two words of a fixed list of general topics that are not a word of
# any of the job's label names (so "weather" is not added next to "get weather"). The list is
# the same for every set and was not tuned on any.
distractors() {
  local words n=0 d
  words=" $(job_labels "$1" | tr '[:upper:]' '[:lower:]' | tr '\n' ' ') "
  for d in weather cooking astronomy gardening chess knitting; do
    case "$words" in *" $d "*) continue ;; esac
    echo "$d"
    n=$((n + 1))
    [ $n = 2 ] && return
  done
}

# drows: set regime lines d1 share1 d2 share2 f1 ece (tab-separated).
# brows: set regime share lines f1 ece ref (tab-separated).
: >"$tmp/drows"
: >"$tmp/brows"
for job in "$DATASETS"/*.job.json; do
  name=$(basename "$job" .job.json)
  data="$DATASETS/$name.ndjson"
  grep -q '"mode": *"multi"' "$job" && continue
  tt=$(text_type "$name")
  mapfile -t ds < <(distractors "$job")
  nlabels=$(job_labels "$job" | wc -l)
  for regime in names desc type; do
    regime_args "$regime" "$tt"
    read -r f1 _ ece n s1 s2 < <(run "$name/$regime/distractors" --job "$job" "${args[@]}" --add-labels "${ds[0]},${ds[1]}" "$data")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$regime" "$n" "${ds[0]}" "$s1" "${ds[1]}" "$s2" "$f1" "$ece" >>"$tmp/drows"
    [ "$nlabels" = 2 ] || continue
    for share in 0.2 0.5 0.8; do
      read -r f1 _ ece n < <(run "$name/$regime/resample $share" --job "$job" "${args[@]}" --resample "$share" --seed 1 "$data")
      read -r ref _ _ _ < <(run "$name/$regime/resample $share/reference" --job "$job" "${args[@]}" --resample "$share" --seed 1 --reference "$data")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$regime" "$share" "$n" "$f1" "$ece" "$ref" >>"$tmp/brows"
    done
  done
done

# distractor_md: the distractor and base-rate sections of EVAL.md.
distractor_md() {
  cat <<MD

## Distractors: labels no line is about

Every single-label set again, with two labels added that none of its lines is about: the first
two of weather, cooking, astronomy, gardening, chess, knitting that are not a word of one of the
set's label names (\`--add-labels\`, no description, so the glossary reads them as it would any
label without one). "share": the share of lines each distractor took (want ≤ 0.02); macro-F1 is
over the set's own labels, "without" is the same run without the distractors (the tables above),
Δ = macro-F1 − without (want ≥ −0.01).

| set | regime | lines | distractor 1 | share | distractor 2 | share | macro-F1 | without | Δ | ECE |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
MD
  awk -F'\t' 'NR == FNR { if ($2 == "single") base[$1 "\t" $4] = $5; next }
    { w = base[$1 "\t" $2]
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %+.4f | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, w, $8 - w, $9 }' "$tmp/rows" "$tmp/drows"
  printf '\n| regime | sets | distractors over 0.02 | max share (set) | mean Δ | worst Δ (set) | max ECE (set) |\n| --- | --- | --- | --- | --- | --- | --- |\n'
  for regime in names desc type; do
    awk -F'\t' -v r="$regime" 'NR == FNR { if ($2 == "single") base[$1 "\t" $4] = $5; next }
      $2 == r { n++; d = $8 - base[$1 "\t" $2]; sd += d
        over += ($5 > 0.02) + ($7 > 0.02); s = ($5 > $7) ? $5 : $7
        if (n == 1 || s > ms) { ms = s; mss = $1 }
        if (n == 1 || d < wd) { wd = d; ws = $1 }
        if (n == 1 || $9 > me) { me = $9; mes = $1 } }
      END { printf "| %s | %d | %d of %d | %.4f (%s) | %+.4f | %+.4f (%s) | %.4f (%s) |\n", r, n, over, 2 * n, ms, mss, sd / n, wd, ws, me, mes }' "$tmp/rows" "$tmp/drows"
  done
  cat <<MD

## Base rates: two-label sets resampled

Each two-label set resampled (\`--resample SHARE --seed 1\`) so that its first label is 20, 50 or
80 % of the lines: as many lines as the set allows at that share, ⌊min(first label's lines / share,
the other's lines / (1 − share))⌋, drawn with seed 1. Pipeline and reference on the same lines.

| set | regime | first label | lines | macro-F1 | ECE | ref | Δ |
| --- | --- | --- | --- | --- | --- | --- | --- |
MD
  awk -F'\t' '{ printf "| %s | %s | %.0f %% | %s | %s | %s | %s | %+.4f |\n", $1, $2, 100 * $3, $4, $5, $6, $7, $5 - $7 }' "$tmp/brows"
  printf '\n| first label | regime | sets | mean macro-F1 | mean ref | mean Δ | worst Δ (set) | max ECE (set) |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n'
  for share in 0.2 0.5 0.8; do
    for regime in names desc type; do
      awk -F'\t' -v r="$regime" -v s="$share" '$2 == r && $3 == s { n++; f += $5; ref += $7; d = $5 - $7
          if (n == 1 || d < wd) { wd = d; ws = $1 }
          if (n == 1 || $6 > me) { me = $6; mes = $1 } }
        END { if (n) printf "| %.0f %% | %s | %d | %.4f | %.4f | %+.4f | %+.4f (%s) | %.4f (%s) |\n", 100 * s, r, n, f / n, ref / n, (f - ref) / n, wd, ws, me, mes }' "$tmp/brows"
    done
  done
}
# --- end of distractors and base rates --------------------------------------------------------

# ---- Issue 24 items 4 and 5: multi-label measures and real-time ----------------------------
# mrows: set regime micro macro top1 nolabel gold_nolabel per_line gold_per_line label_ece
# label_ece_max tag_ece lines (multi-label sets, `eval --multi-summary`).
# rtrows: set mode regime rt_nofit ref rt_fit batch_heldout (every set): real-time lines one by
# one without a fit (all lines), and with the fit of a batch run on the even lines, scored on
# the odd lines beside the batch pipeline on the same odd lines (`--held-out`).
multi_realtime_rows() {
  : >"$tmp/mrows"
  : >"$tmp/rtrows"
  local job name data mode tt regime args ref mline rt rtf ho
  for job in "$DATASETS"/*.job.json; do
    name=$(basename "$job" .job.json)
    data="$DATASETS/$name.ndjson"
    mode=single
    grep -q '"mode": *"multi"' "$job" && mode=multi
    tt=$(text_type "$name")
    for regime in names desc type; do
      regime_args "$regime" "$tt"
      if [ "$mode" = multi ]; then
        mline=$(run "$name/$regime/multi" --job "$job" "${args[@]}" --multi-summary "$data")
        printf '%s\t%s\t%s\n' "$name" "$regime" "$(echo "$mline" | tr ' ' '\t')" >>"$tmp/mrows"
      fi
      ref=$(awk -F'\t' -v s="$name" -v r="$regime" '$1 == s && $4 == r { print $7 }' "$tmp/rows")
      read -r rt _ < <(run "$name/$regime/realtime" --job "$job" "${args[@]}" --realtime "$data")
      read -r rtf _ < <(run "$name/$regime/realtime-fit-half" --job "$job" "${args[@]}" --realtime-fit-half "$data")
      read -r ho _ < <(run "$name/$regime/held-out" --job "$job" "${args[@]}" --held-out "$data")
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$mode" "$regime" "$rt" "$ref" "$rtf" "$ho" >>"$tmp/rtrows"
    done
  done
}
multi_realtime_rows

# multi_realtime_tables prints the tables of multi_realtime_rows.
multi_realtime_tables() {
  cat <<MD

## Multi-label sets (issue 24)

Batch pipeline at the default threshold 0.3 (\`eval --multi-summary\`): micro- and macro-F1;
"top-1" is the micro-F1 of a baseline that gives each line only its best-scored label; the share
of lines with no label and labels per line against the gold's; per-label ECE (each label's
confidence as the probability that the line has it, over every line: mean over labels, worst)
and the ECE of the labels given (confidence ≥ 0.3).

| set | regime | micro-F1 | macro-F1 | top-1 micro-F1 | no label | gold no label | labels/line | gold labels/line | label ECE mean | worst | ECE of given |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
MD
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 }' "$tmp/mrows"
  cat <<MD

## Real-time against batch (issue 24)

Macro-F1 of the real-time path (what \`/v1/classify\`, or \`/v1/tag\` for the multi-label
sets, answers), each line sent alone (\`eval --realtime\`): without a fitted classifier on every
line (\`/v1/tag\` at its default threshold 0.5), beside the reference on the same lines; and with the
fit a batch job over the set's even lines keeps for its saved classifier (\`--realtime-fit-half\`,
at that job's threshold 0.3), scored on the odd lines, beside the batch pipeline run on those odd
lines (\`--held-out\`).

| set | mode | regime | real-time, no fit | ref | Δ | real-time, fitted on the other half | batch, same half | Δ |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
MD
  awk -F'\t' '{
    d = ($5 == "-") ? "-" : sprintf("%+.4f", $4 - $5)
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %+.4f |\n", $1, $2, $3, $4, $5, d, $6, $7, $6 - $7 }' "$tmp/rtrows"
  printf '\n| regime | sets | mean real-time, no fit | mean ref (single) | sets below ref | mean real-time, fitted | mean batch, same half | sets below batch − 0.02 |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n'
  for regime in names desc type; do
    awk -F'\t' -v r="$regime" '$3 == r {
      n++; rt += $4; f += $6; b += $7
      if ($5 != "-") { ns++; ref += $5; if ($4 < $5) below++ }
      if ($6 < $7 - 0.02) fb++ }
      END { printf "| %s | %d | %.4f | %.4f | %d | %.4f | %.4f | %d |\n", r, n, rt/n, ref/ns, below, f/n, b/n, fb }' "$tmp/rtrows"
  done
}
# ---- end of issue 24 items 4 and 5 ---------------------------------------------------------

# The hand-written "## What was tried" section is kept from the current file.
tried=""
if [ -f "$OUT" ]; then tried=$(sed -n '/^## What was tried/,$p' "$OUT"); fi

{
  cat <<MD
# Classification quality

Measured by \`scripts/eval.sh\` at commit $commit with the built-in model. \`classer-batch eval\`
runs the same pipeline as a batch job (corpus fit on the file's sample, then every line) on each
set of \`../shared/datasets\`, in three regimes: label names only (\`--names-only\`), the set's
job.json as written (names and descriptions), and descriptions plus a one-phrase \`text_type\`
(\`--text-type\`, held in scripts/eval.sh). "ref" is the reference method scored on the same
lines (\`--reference\`: batch-centred SIF mean of word vectors, argmax cosine; single-label only),
Δ = pipeline − ref. Macro-F1 over the labels present in the scored lines' gold (with 8 examples, a label
whose lines all became examples is left out: atis has 8 such); ECE: expected calibration error of the
confidences, 10 bins (single-label sets). The multi-label set uses the default threshold 0.3.

MD
  for regime in names desc type; do
    case $regime in
      names) title="Label names only" ;;
      desc) title="Names and descriptions" ;;
      type) title="Names, descriptions and text_type" ;;
    esac
    printf '## %s\n\n| set | mode | lines | macro-F1 | ECE | ref | Δ |\n| --- | --- | --- | --- | --- | --- | --- |\n' "$title"
    awk -F'\t' -v r="$regime" '$4 == r {
      d = ($7 == "-") ? "-" : sprintf("%+.4f", $5 - $7)
      printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $5, $6, $7, d }' "$tmp/rows"
    echo
  done
  printf '## Summary over the single-label sets\n\n| regime | sets | mean macro-F1 | mean ref | mean Δ | worst Δ (set) | max ECE (set) |\n| --- | --- | --- | --- | --- | --- | --- |\n'
  for regime in names desc type; do
    awk -F'\t' -v r="$regime" '$4 == r && $2 == "single" {
      n++; f += $5; ref += $7; d = $5 - $7
      if (n == 1 || d < wd) { wd = d; ws = $1 }
      if (n == 1 || $6 > me) { me = $6; ms = $1 } }
      END { printf "| %s | %d | %.4f | %.4f | %+.4f | %+.4f (%s) | %.4f (%s) |\n", r, n, f/n, ref/n, (f-ref)/n, wd, ws, me, ms }' "$tmp/rows"
  done
  printf '\n## With 8 examples per label\n\nThe job.json plus 8 examples per label drawn from the file (seed 1); the other lines are scored.\n\n| set | mode | macro-F1 | ECE |\n| --- | --- | --- | --- |\n'
  awk -F'\t' '$4 == "examples" { printf "| %s | %s | %s | %s |\n", $1, $2, $5, $6 }' "$tmp/rows"
  distractor_md
  multi_realtime_tables
  cat <<MD

Rerun: \`bash scripts/eval.sh\` (a few minutes). Evaluate your own labelled sample with
\`classer-batch eval --job job.json labelled.ndjson\` (lines with \`text\` and \`label\`, or \`labels\` in multi mode).
MD
  if [ -n "$tried" ]; then printf '\n%s\n' "$tried"; fi
} >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "wrote $OUT in $((SECONDS - started)) s"
