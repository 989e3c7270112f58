package batch

import (
	"context"
	"fmt"
	"io"
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

// sampler keeps a uniform sample of a stream's texts (reservoir sampling,
// Algorithm R) with a fixed seed, so the same input always gives the same
// sample: a resumed job, the offline CLI and eval all fit the same state.
type sampler struct {
	rnd   *rand.Rand
	seen  int64
	texts []string
}

func newSampler() *sampler {
	return &sampler{rnd: rand.New(rand.NewPCG(0x636c6173736572, 0x9e3779b97f4a7c15)), texts: make([]string, 0, 64)}
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
	state, err := fitter.Fit(spec, smp.texts)
	if err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	return fitter.CompileFitted(spec, state)
}

// offer considers one non-blank line; parse is called only if the line is kept.
func (s *sampler) offer(data []byte, maxTextChars int) {
	s.seen++
	slot := int64(len(s.texts))
	if slot >= SampleTexts {
		slot = s.rnd.Int64N(s.seen)
		if slot >= SampleTexts {
			return
		}
	}
	rec, err := parseLine(data, maxTextChars)
	if err != nil {
		return // a bad line is not part of the corpus
	}
	text := rec.text
	if len(text) > maxSampleBytes {
		cut := maxSampleBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut]
	}
	text = string([]byte(text)) // detach from the line buffer
	if slot == int64(len(s.texts)) {
		s.texts = append(s.texts, text)
	} else {
		s.texts[slot] = text
	}
}
