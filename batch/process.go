package batch

import (
	"bytes"
	"context"
	"io"

	"github.com/classer-ai/classer-batch/classify"
)

// inputCount is the result of the pre-pass over an input.
type inputCount struct {
	bytes, lines, tokens int64
}

// countInput counts non-blank lines in one streaming pass and estimates their
// tokens from a sample (see sampler), without decoding JSON, so requests_total
// and estimated_tokens are known before processing starts. smp, if not nil,
// receives the sample (the job's fit uses it).
func countInput(ctx context.Context, src io.Reader, limits Limits, smp *sampler) (inputCount, error) {
	if smp == nil {
		smp = newSampler()
	}
	lr := newLineReader(src, limits.ReadBuffer, limits.maxLineBytes())
	var c inputCount
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return c, ctx.Err()
		}
		l, err := lr.next()
		if err == io.EOF {
			c.tokens = smp.tokens()
			return c, nil
		}
		if err != nil {
			return c, err
		}
		c.bytes += l.size
		if n == 0 {
			l.data = bytes.TrimPrefix(l.data, utf8BOM)
		}
		if l.tooLong {
			c.lines++
			continue
		}
		if isBlank(l.data) {
			continue
		}
		c.lines++
		smp.offer(l.data, limits.MaxTextChars)
	}
}

// Progress is what Process reports after each chunk.
type Progress struct {
	InputBytes int64 // bytes of input consumed
	Completed  int64
	Failed     int64
	Tokens     int64
}

// Process classifies src into dst with the same pipeline as a batch job, on its
// own pool of workers: the offline `classify` and `eval` commands use it. spec
// must be normalized and model compiled from it (see Compile). report, if not
// nil, is called after each chunk.
func Process(ctx context.Context, src io.Reader, dst io.Writer, spec classify.Spec, model classify.Model, workers int, limits Limits, report func(Progress)) (Progress, error) {
	pool := NewPool(workers)
	defer pool.Close()
	p := newPipeline(pool, model, spec, limits)
	cp, err := p.run(ctx, src, dst, Checkpoint{}, func(pr progress) error {
		if report != nil {
			report(Progress{InputBytes: pr.cp.InputOffset, Completed: pr.cp.Completed, Failed: pr.cp.Failed, Tokens: pr.cp.Tokens})
		}
		return nil
	})
	return Progress{InputBytes: cp.InputOffset, Completed: cp.Completed, Failed: cp.Failed, Tokens: cp.Tokens}, err
}
