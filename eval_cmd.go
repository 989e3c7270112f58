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

const evalUsage = `Usage: classer-batch eval --job job.json [--config FILE] [--model NAME] [--names-only] [--text-type T] [--reference] [--examples K --seed S] [--add-labels A,B] [--resample SHARE --seed S] labelled.ndjson

Scores the batch pipeline on lines you labelled ({"text":…,"label":…}, or "labels":[…] in
multi mode): accuracy, macro-F1, per-label scores, top confusions and calibration.
--model scores a model of the config's models section (default: the job's "model", else
default_model, which is builtin unless configured); --reference runs on the built-in model.
--add-labels adds labels no line is about (the summary then ends with the share of lines each
took); --resample keeps lines so that the spec's first label is SHARE of them (single mode).
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
	modelFlags(fs)
	if err := parseFlags(fs, args, evalUsage, stdout, stderr); err != nil {
		return err
	}
	if *jobPath == "" || fs.NArg() != 1 {
		return errors.New("eval: usage: classer-batch eval --job job.json [--config FILE] [--model NAME] [--names-only] [--text-type T] [--reference] [--examples K --seed S] [--add-labels A,B] [--resample SHARE --seed S] labelled.ndjson")
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

	// Pass 3: stream the scored lines through the same pipeline as a batch job,
	// compiled as a job would be (with a corpus fit on the same lines, if any).
	var scored []int // input line number of each line sent
	for i, g := range golds {
		if _, drawn := exampleLines[i]; !drawn && g != nil {
			scored = append(scored, i)
		}
	}
	slices.Sort(scored)
	open := func() (io.ReadCloser, error) { return scoredLines(path, golds, exampleLines), nil }
	model, err := batch.Compile(ctx, clf, spec, open, batch.Limits{})
	if err != nil {
		return err
	}
	src := scoredLines(path, golds, exampleLines)
	defer src.Close()
	res := &eval.Results{}
	if _, err := batch.Process(ctx, src, res, spec, model, *workers, batch.Limits{}, nil); err != nil {
		return err
	}
	gold := make([][]string, len(scored))
	for i, line := range scored {
		gold[i] = golds[line]
	}
	items, failed, err := res.Items(gold)
	if err != nil {
		return err
	}
	rep := eval.Score(spec.Mode, spec.Labels, items, failed)
	if *summary {
		return rep.WriteSummary(stdout, true, *addLabels...)
	}
	return rep.Write(stdout, 10)
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
