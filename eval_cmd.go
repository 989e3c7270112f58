package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"

	"github.com/spf13/pflag"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/wordvec"
	"github.com/classer-ai/classer-batch/eval"
)

const evalUsage = `Usage: classer-batch eval --job job.json [--config FILE] [--model NAME] [--names-only] [--text-type T] [--reference] [--examples K --seed S] [--add-labels A,B] [--resample SHARE --seed S] [--realtime | --realtime-fit-half | --realtime-fit-same] [--held-out] labelled.ndjson

Scores the batch pipeline on lines you labelled ({"text":…,"label":…}, or "labels":[…] in
multi mode): accuracy, macro-F1, per-label scores, top confusions and calibration; in multi
mode also micro-F1, the share of lines with no label against the gold's, labels per line,
per-label calibration and the top-1 baseline (each line gets only its best label).
--model scores a model of the config's models section (default: the job's "model", else
default_model, which is builtin unless configured); --reference runs on the built-in model.
--add-labels adds labels no line is about (the summary then ends with the share of lines each
took); --resample keeps lines so that the spec's first label is SHARE of them (single mode).
--realtime sends the lines one by one through the real-time path (/v1/classify, or /v1/tag in
multi mode) instead; --realtime-fit-half does so with the fit a batch job on the file's even
lines would keep (a saved classifier's fit), scoring the odd lines; --held-out scores only the
odd lines with any method, to compare with it. --realtime-fit-same fits on the odd lines
themselves: its numbers are --held-out's unless real-time computes a line differently from a
batch job with the same fit.
`

// runEval scores the batch pipeline on labelled lines ({"text", "label"} or, in
// multi mode, {"text", "labels":[…]}) and prints accuracy, macro-F1, per-label
// scores, top confusions and calibration. With --examples K it first draws K
// examples per label from the file into the spec and scores only the other lines.
func runEval(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("eval", pflag.ContinueOnError)
	jobPath := fs.String("job", "", "job.json: the body you would POST to /v1/batch")
	k := fs.Int("examples", 0, "draw this many examples per label from the file into the spec")
	seed := fs.Uint64("seed", 1, "seed for drawing examples")
	workers := fs.Int("workers", runtime.NumCPU(), "classification workers")
	summary := fs.Bool("summary", false, "print one line: macro_f1 accuracy ece lines")
	namesOnly := fs.Bool("names-only", false, "drop the job's descriptions and examples: label names only")
	textType := fs.String("text-type", "", "set the spec's text_type (context about the texts)")
	reference := fs.Bool("reference", false, "score the reference method (batch-centred SIF mean, argmax cosine) instead of the pipeline")
	addLabels := fs.StringSlice("add-labels", nil, "add these labels (no description) to the spec: distractors no line is about")
	resample := fs.Float64("resample", 0, "keep lines (drawn by --seed) so that the spec's first label is this share of them")
	realtime := fs.Bool("realtime", false, "send the lines one by one through the real-time path, without a fitted classifier")
	fitHalf := fs.Bool("realtime-fit-half", false, "real-time with the fit of a batch run on the even lines; scores the odd lines")
	fitSame := fs.Bool("realtime-fit-same", false, "real-time with the fit of a batch run on the odd lines themselves, scoring them (equals --held-out unless real-time computes a line differently)")
	heldOut := fs.Bool("held-out", false, "score only the odd lines (the half --realtime-fit-half scores)")
	multiSummary := fs.Bool("multi-summary", false, "multi mode: print one line: micro_f1 macro_f1 top1_micro_f1 no_label gold_no_label per_line gold_per_line label_ece label_ece_max tag_ece lines")
	modelFlags(fs)
	if err := parseFlags(fs, args, evalUsage, stdout, stderr); err != nil {
		return err
	}
	if *jobPath == "" || fs.NArg() != 1 {
		return errors.New("eval: usage: classer-batch eval --job job.json [--config FILE] [--model NAME] [--names-only] [--text-type T] [--reference] [--examples K --seed S] [--add-labels A,B] [--resample SHARE --seed S] [--realtime | --realtime-fit-half | --realtime-fit-same] [--held-out] labelled.ndjson")
	}
	if n := btoi(*realtime) + btoi(*fitHalf) + btoi(*fitSame); n > 1 {
		return errors.New("eval: --realtime, --realtime-fit-half and --realtime-fit-same are different measurements: give one")
	}
	spec, err := readJobSpecRaw(*jobPath)
	if err != nil {
		return err
	}
	if *namesOnly {
		spec.Descriptions, spec.Examples = nil, nil
	}
	if *textType != "" {
		spec.TextType = *textType
	}
	path := fs.Arg(0)

	// Pass 1: the gold labels of every line (small), to draw examples.
	golds, err := readGolds(path, spec.Mode == classify.ModeMulti)
	if err != nil {
		return err
	}
	if *resample != 0 {
		if spec.Mode == classify.ModeMulti || len(spec.Labels) == 0 {
			return errors.New("eval: --resample needs a single-label spec")
		}
		if golds, err = eval.Resample(golds, spec.Labels[0], *resample, *seed); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	for _, l := range *addLabels {
		if slices.Contains(spec.Labels, l) {
			return fmt.Errorf("eval: --add-labels: %q is a label of the job already", l)
		}
		spec.Labels = append(spec.Labels, l)
	}
	exampleLines := eval.DrawExamples(golds, spec.Labels, *k, *seed)
	if *heldOut || *fitHalf || *fitSame {
		// The even lines are the other half (fitted on, or left out): they are not scored.
		for i := range golds {
			if i%2 == 0 {
				delete(golds, i)
			}
		}
	}

	// Pass 2: collect the drawn examples' texts into the spec.
	if len(exampleLines) > 0 {
		if spec.Examples == nil {
			spec.Examples = map[string][]string{}
		}
		err := eachLine(path, func(i int, line []byte) error {
			if label, ok := exampleLines[i]; ok {
				var row struct {
					Text string `json:"text"`
				}
				if err := json.Unmarshal(line, &row); err != nil {
					return fmt.Errorf("%s line %d: %w", path, i+1, err)
				}
				spec.Examples[label] = append(spec.Examples[label], row.Text)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	jobThreshold := spec.Threshold
	if err := spec.Normalize(classify.DefaultBatchThreshold); err != nil {
		return fmt.Errorf("%s: %w", *jobPath, err)
	}
	if *reference {
		// The reference is defined on the built-in model's word vectors and ranks.
		if name := modelName(fs, spec); name != "" && name != classify.KindBuiltin {
			return fmt.Errorf("eval: --reference runs on the built-in model only, not %q", name)
		}
		wv, err := wordvec.NewBuiltin()
		if err != nil {
			return err
		}
		return runReference(path, spec, golds, exampleLines, wv, *summary, stdout)
	}
	clf, err := offlineModels(fs, environ, &spec, stderr)
	if err != nil {
		return err
	}

	// Multi mode runs at threshold 0, so that every label's confidence is there to score
	// (ScoreMulti applies the threshold): the threshold only filters the answers.
	threshold := *spec.Threshold
	if *realtime && jobThreshold == nil {
		// The real-time endpoints' default (resolveSpec with tagOpts). With a saved classifier's
		// fit (--realtime-fit-half) a call answers at the threshold of the job that fitted it.
		threshold = classify.DefaultTagThreshold
	}
	if spec.Mode == classify.ModeMulti {
		spec.Threshold = new(float64)
	}

	var scored []int // input line number of each line sent
	for i, g := range golds {
		if _, drawn := exampleLines[i]; !drawn && g != nil {
			scored = append(scored, i)
		}
	}
	slices.Sort(scored)
	gold := make([][]string, len(scored))
	for i, line := range scored {
		gold[i] = golds[line]
	}
	var items []eval.Item
	var failed int
	if *realtime || *fitHalf || *fitSame {
		fitOn := -1 // the lines the fit is made on: none, the even (0) or the odd (1)
		switch {
		case *fitHalf:
			fitOn = 0
		case *fitSame:
			fitOn = 1
		}
		items, failed, err = realtimeItems(ctx, clf, spec, path, golds, exampleLines, fitOn)
	} else {
		items, failed, err = batchItems(ctx, clf, spec, path, golds, exampleLines, gold, *workers)
	}
	if err != nil {
		return err
	}
	if spec.Mode == classify.ModeMulti {
		rep := eval.ScoreMulti(spec.Labels, items, failed, threshold)
		switch {
		case *multiSummary:
			return rep.WriteSummary(stdout)
		case *summary:
			return rep.Report.WriteSummary(stdout, true)
		}
		return rep.Write(stdout, 10)
	}
	rep := eval.Score(spec.Mode, spec.Labels, items, failed)
	if *summary {
		return rep.WriteSummary(stdout, true, *addLabels...)
	}
	return rep.Write(stdout, 10)
}

// batchItems streams the scored lines through the same pipeline as a batch job, compiled as
// a job would be (with a corpus fit on the same lines, if any); gold is the scored lines' gold.
func batchItems(ctx context.Context, clf classify.Classifier, spec classify.Spec, path string, golds map[int][]string,
	examples map[int]string, gold [][]string, workers int) ([]eval.Item, int, error) {
	open := func() (io.ReadCloser, error) { return scoredLines(path, golds, examples), nil }
	model, err := batch.Compile(ctx, clf, spec, open, batch.Limits{})
	if err != nil {
		return nil, 0, err
	}
	src := scoredLines(path, golds, examples)
	defer src.Close()
	res := &eval.Results{}
	if _, err := batch.Process(ctx, src, res, spec, model, workers, batch.Limits{}, nil); err != nil {
		return nil, 0, err
	}
	return res.Items(gold)
}

// realtimeItems answers the scored lines one at a time as a real-time call does
// (server.Server.model: Compile, or CompileFitted with a saved classifier's fit). With fitOn 0
// the fit is the one a batch job over the file's even lines keeps (batch.Compile fits exactly
// as the runner does), so the scored (odd) lines are texts it never saw; with fitOn 1 it is the
// fit of the scored lines themselves, which a batch job over them uses too, so a difference
// from --held-out is a step real-time skips or does differently, not the data. -1: no fit.
func realtimeItems(ctx context.Context, clf classify.Classifier, spec classify.Spec, path string, golds map[int][]string,
	examples map[int]string, fitOn int) ([]eval.Item, int, error) {
	model, err := clf.Compile(spec)
	if fitOn >= 0 {
		half := func() (io.ReadCloser, error) {
			pr, pw := io.Pipe()
			go func() {
				pw.CloseWithError(eachLine(path, func(i int, line []byte) error {
					if _, drawn := examples[i]; drawn || i%2 != fitOn {
						return nil
					}
					_, err := pw.Write(append(line, '\n'))
					return err
				}))
			}()
			return pr, nil
		}
		model, err = batch.Compile(ctx, clf, spec, half, batch.Limits{})
	}
	if err != nil {
		return nil, 0, err
	}
	var items []eval.Item
	failed := 0
	out := make([]classify.Result, 1)
	err = eachLine(path, func(i int, line []byte) error {
		if _, drawn := examples[i]; drawn || golds[i] == nil {
			return nil
		}
		var row struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(line, &row); err != nil {
			return fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		if cm, ok := model.(classify.ContextModel); ok {
			if err := cm.ClassifyContext(ctx, []string{row.Text}, out); err != nil {
				return err
			}
		} else {
			model.Classify([]string{row.Text}, out)
		}
		r := out[0]
		if r.Err != "" {
			failed++
			return nil
		}
		it := eval.Item{Gold: golds[i], Confidence: r.Confidence}
		if r.Label != "" {
			it.Pred = []string{r.Label}
		}
		if spec.Mode == classify.ModeMulti {
			it.Scores = make(map[string]float64, len(r.Labels))
			for _, l := range r.Labels {
				it.Pred = append(it.Pred, l.Label)
				it.Scores[l.Label] = l.Confidence
			}
		}
		items = append(items, it)
		return nil
	})
	return items, failed, err
}

// scoredLines streams the lines of path that are scored: those with a gold
// label that were not drawn as examples, in file order.
func scoredLines(path string, golds map[int][]string, examples map[int]string) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<20)
		err := eachLine(path, func(i int, line []byte) error {
			if _, drawn := examples[i]; drawn || golds[i] == nil {
				return nil
			}
			bw.Write(line)
			return bw.WriteByte('\n')
		})
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// eachLine calls fn with every non-blank line of path and its 0-based line number.
func eachLine(path string, fn func(i int, line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	for i := 0; ; i++ {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			if ferr := fn(i, bytes.TrimRight(line, "\r\n")); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readGolds returns the gold labels per line number (nil for a line without one).
func readGolds(path string, multi bool) (map[int][]string, error) {
	golds := map[int][]string{}
	err := eachLine(path, func(i int, line []byte) error {
		var row struct {
			Label  *string  `json:"label"`
			Labels []string `json:"labels"`
		}
		if err := json.Unmarshal(line, &row); err != nil {
			return fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		switch {
		case multi && row.Labels != nil:
			golds[i] = row.Labels
		case !multi && row.Label != nil:
			golds[i] = []string{*row.Label}
		case multi:
			golds[i] = []string{}
		default:
			return fmt.Errorf("%s line %d: no gold \"label\"", path, i+1)
		}
		return nil
	})
	return golds, err
}

// runReference scores the reference method (eval.Reference) on the lines eval would score.
// It has no confidences, so the summary's ECE is "-".
func runReference(path string, spec classify.Spec, golds map[int][]string, examples map[int]string, wv eval.WordVectors, summary bool, stdout io.Writer) error {
	if spec.Mode == classify.ModeMulti {
		return errors.New("eval: the reference is single-label only")
	}
	var texts []string
	var gold [][]string
	err := eachLine(path, func(i int, line []byte) error {
		if _, drawn := examples[i]; drawn || golds[i] == nil {
			return nil
		}
		var row struct {
			Text string `json:"text"`
		}
		if err := json.Unmarshal(line, &row); err != nil {
			return fmt.Errorf("%s line %d: %w", path, i+1, err)
		}
		texts = append(texts, row.Text)
		gold = append(gold, golds[i])
		return nil
	})
	if err != nil {
		return err
	}
	rep := eval.ScoreReference(wv, spec.Labels, spec.Descriptions, texts, gold)
	if summary {
		return rep.WriteSummary(stdout, false)
	}
	return rep.Write(stdout, 10)
}

// btoi is 1 for true, 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
