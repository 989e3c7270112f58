package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"

	"github.com/spf13/pflag"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/eval"
)

const evalUsage = `Usage: classer-batch eval --job job.json [--names-only] [--text-type T] [--reference] [--examples K --seed S] labelled.ndjson

Scores the batch pipeline on lines you labelled ({"text":…,"label":…}, or "labels":[…] in
multi mode): accuracy, macro-F1, per-label scores, top confusions and calibration.
`

// runEval scores the batch pipeline on labelled lines ({"text", "label"} or, in
// multi mode, {"text", "labels":[…]}) and prints accuracy, macro-F1, per-label
// scores, top confusions and calibration. With --examples K it first draws K
// examples per label from the file into the spec and scores only the other lines.
func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("eval", pflag.ContinueOnError)
	jobPath := fs.String("job", "", "job.json: the body you would POST to /v1/batch")
	k := fs.Int("examples", 0, "draw this many examples per label from the file into the spec")
	seed := fs.Uint64("seed", 1, "seed for drawing examples")
	workers := fs.Int("workers", runtime.NumCPU(), "classification workers")
	summary := fs.Bool("summary", false, "print one line: macro_f1 accuracy ece lines")
	namesOnly := fs.Bool("names-only", false, "drop the job's descriptions and examples: label names only")
	textType := fs.String("text-type", "", "set the spec's text_type (context about the texts)")
	reference := fs.Bool("reference", false, "score the reference method (batch-centred SIF mean, argmax cosine) instead of the pipeline")
	if err := parseFlags(fs, args, evalUsage, stdout, stderr); err != nil {
		return err
	}
	if *jobPath == "" || fs.NArg() != 1 {
		return errors.New("eval: usage: classer-batch eval --job job.json [--names-only] [--text-type T] [--reference] [--examples K --seed S] labelled.ndjson")
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
	exampleLines := drawExamples(golds, spec.Labels, *k, *seed)

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
	clf, err := classify.NewBuiltin()
	if err != nil {
		return err
	}

	if *reference {
		return runReference(path, spec, golds, exampleLines, clf, *summary, stdout)
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
	res := &resultCollector{}
	if _, err := batch.Process(ctx, src, res, spec, model, *workers, batch.Limits{}, nil); err != nil {
		return err
	}
	if err := res.flush(); err != nil {
		return err
	}
	var items []eval.Item
	failed := 0
	for _, r := range res.results {
		if r.Error != "" {
			failed++
			continue
		}
		it := eval.Item{Gold: golds[scored[r.Index]], Confidence: r.Confidence}
		if r.Label != "" {
			it.Pred = []string{r.Label}
		}
		for _, l := range r.Labels {
			it.Pred = append(it.Pred, l.Label)
		}
		items = append(items, it)
	}
	rep := eval.Score(spec.Mode, spec.Labels, items, failed)
	if *summary {
		_, err := fmt.Fprintf(stdout, "%.4f %.4f %.4f %d\n", rep.MacroF1, rep.Accuracy, rep.ECE, rep.N)
		return err
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

// drawExamples picks k lines per label (by seed, deterministically) to become
// examples; in multi mode a line is drawn for each label it carries.
func drawExamples(golds map[int][]string, labels []string, k int, seed uint64) map[int]string {
	out := map[int]string{}
	if k <= 0 {
		return out
	}
	lines := make([]int, 0, len(golds))
	for i := range golds {
		lines = append(lines, i)
	}
	// Sort, then shuffle with the seed: map order must not leak into the draw.
	slices.Sort(lines)
	rnd := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	rnd.Shuffle(len(lines), func(a, b int) { lines[a], lines[b] = lines[b], lines[a] })
	for _, label := range labels {
		n := 0
		for _, i := range lines {
			if n == k {
				break
			}
			if _, taken := out[i]; taken {
				continue
			}
			for _, g := range golds[i] {
				if g == label {
					out[i] = label
					n++
					break
				}
			}
		}
	}
	return out
}

// resultCollector decodes result lines as the pipeline writes them.
type resultCollector struct {
	buf     []byte
	results []resultRow
}

type resultRow struct {
	Index      int     `json:"index"`
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
	Labels     []struct {
		Label string `json:"label"`
	} `json:"labels"`
	Error string `json:"error"`
}

func (c *resultCollector) Write(p []byte) (int, error) {
	c.buf = append(c.buf, p...)
	for {
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		var r resultRow
		if err := json.Unmarshal(c.buf[:i], &r); err != nil {
			return 0, err
		}
		c.results = append(c.results, r)
		c.buf = c.buf[i+1:]
	}
}

func (c *resultCollector) flush() error {
	if len(bytes.TrimSpace(c.buf)) > 0 {
		return errors.New("eval: truncated result line")
	}
	return nil
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
	pred := eval.Reference(wv, spec.Labels, spec.Descriptions, texts)
	items := make([]eval.Item, len(texts))
	for i, p := range pred {
		items[i] = eval.Item{Gold: gold[i], Pred: []string{spec.Labels[p]}}
	}
	rep := eval.Score(spec.Mode, spec.Labels, items, 0)
	if summary {
		_, err := fmt.Fprintf(stdout, "%.4f %.4f - %d\n", rep.MacroF1, rep.Accuracy, rep.N)
		return err
	}
	return rep.Write(stdout, 10)
}
