package batch

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"unicode/utf8"

	"github.com/classer-ai/classer-batch/classify"
)

const (
	// SampleTexts is how many texts a job's fit sees: enough to estimate label
	// priors and corpus statistics, small enough to hold in memory.
	SampleTexts = 4000
	// maxSampleBytes cuts long texts in the sample so it stays a few MB at most.
	maxSampleBytes = 4096
)

// sampler keeps a uniform sample of a stream's lines (reservoir sampling,
// Algorithm R) with a fixed seed, so the same input always gives the same
// sample: a resumed job, the offline CLI and eval all fit the same state. The
// sample also estimates the input's tokens, so the count pass only has to find
// line ends and a 5 GB file starts flowing within seconds.
type sampler struct {
	rnd   *rand.Rand
	seen  int64
	slots []sampleSlot
}

type sampleSlot struct {
	text   string // "" for a line that does not parse: not part of the corpus
	line   int64  // the line's 0-based number in the input (blank lines count)
	tokens int64  // classify.EstimateTokens of the raw line
}

func newSampler() *sampler {
	return &sampler{rnd: rand.New(rand.NewPCG(0x636c6173736572, 0x9e3779b97f4a7c15)), slots: make([]sampleSlot, 0, 64)}
}

// offer considers one non-blank line, the input's line number line (0-based); it is parsed
// only if it is kept.
func (s *sampler) offer(data []byte, line int64, maxTextChars int) {
	s.seen++
	slot := int64(len(s.slots))
	if slot >= SampleTexts {
		slot = s.rnd.Int64N(s.seen)
		if slot >= SampleTexts {
			return
		}
	}
	kept := sampleSlot{line: line, tokens: int64(classify.EstimateTokens(data))}
	if rec, err := parseLine(data, maxTextChars); err == nil {
		text := rec.text
		if len(text) > maxSampleBytes {
			cut := maxSampleBytes
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
			text = text[:cut]
		}
		kept.text = string(text) // a copy: the line buffer is reused by the next read
	}
	if slot == int64(len(s.slots)) {
		s.slots = append(s.slots, kept)
	} else {
		s.slots[slot] = kept
	}
}

// texts returns the sampled texts of lines that parse, in slot order.
func (s *sampler) texts() []string {
	out := make([]string, 0, len(s.slots))
	for _, sl := range s.slots {
		if sl.text != "" {
			out = append(out, sl.text)
		}
	}
	return out
}

// items returns the sampled texts of lines that parse with their line numbers, in slot
// order (the order texts gives them to the fit).
func (s *sampler) items() []classify.SampleText {
	out := make([]classify.SampleText, 0, len(s.slots))
	for _, sl := range s.slots {
		if sl.text != "" {
			out = append(out, classify.SampleText{Index: sl.line, Text: sl.text})
		}
	}
	return out
}

// tokens estimates the tokens of all offered lines: exact (the sum of the
// per-line estimates) when every line is in the sample, else the sample's mean
// times the number of lines.
func (s *sampler) tokens() int64 {
	var sum int64
	for _, sl := range s.slots {
		sum += sl.tokens
	}
	if s.seen <= int64(len(s.slots)) || len(s.slots) == 0 {
		return sum
	}
	return int64(math.Round(float64(sum) / float64(len(s.slots)) * float64(s.seen)))
}

// Compile compiles spec for a whole input the way a batch job does: a
// classifier that fits on the job's corpus first gets the same sample of the
// input that a job would draw (open is called once more for that pass).
func Compile(ctx context.Context, clf classify.Classifier, spec classify.Spec, open func() (io.ReadCloser, error), limits Limits) (classify.Model, error) {
	fitter, ok := clf.(classify.Fitter)
	if !ok {
		return clf.Compile(spec)
	}
	src, err := open()
	if err != nil {
		return nil, err
	}
	defer src.Close()
	smp := newSampler()
	if _, err := countInput(ctx, src, limits.withDefaults(), smp); err != nil {
		return nil, fmt.Errorf("sample input: %w", err)
	}
	state, err := fitter.Fit(spec, smp.texts())
	if err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	return fitter.CompileFitted(spec, state)
}
