package batch

import (
	"context"
	"io"

	"github.com/classer-ai/classer-batch/classify"
)

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
