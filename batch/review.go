package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// Reading a completed job's answers whole, for the review queues, the export and the
// comparison of a rerun with its original (issue 26). Everything streams: one result line
// is in memory at a time.

// Texts returns the texts of the job's lines listed in want, which must be ascending: cut
// as in a page of lines if cut, else whole. A line that is blank or past the end is left
// out; one that is not a valid record has an empty text.
func (r *Runner) Texts(ctx context.Context, job *Job, want []int64, cut bool) ([]LineView, error) {
	if len(want) == 0 {
		return nil, nil
	}
	if !slices.IsSorted(want) {
		return nil, errors.New("batch: Texts wants ascending line indexes")
	}
	text := cutText
	if !cut {
		text = func(b []byte) string { return string(b) }
	}
	views, _, err := r.readLines(ctx, job, 0, 0, want, text)
	return views, err
}

// Answers calls fn with each result line of a completed job, in order (Text is empty),
// until fn returns an error, which Answers returns.
func (r *Runner) Answers(ctx context.Context, job *Job, fn func(*LineView) error) error {
	ar, err := r.openAnswers(ctx, job)
	if err != nil {
		return err
	}
	defer ar.Close()
	for {
		v, err := ar.next(ctx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
}

// CompareAnswers reads the results of two completed jobs over the same input side by
// side and calls fn with each pair of lines of the same index. Results that do not pair
// up (the inputs differ) are an error.
func (r *Runner) CompareAnswers(ctx context.Context, a, b *Job, fn func(x, y *LineView) error) error {
	ra, err := r.openAnswers(ctx, a)
	if err != nil {
		return err
	}
	defer ra.Close()
	rb, err := r.openAnswers(ctx, b)
	if err != nil {
		return err
	}
	defer rb.Close()
	for {
		x, errA := ra.next(ctx)
		y, errB := rb.next(ctx)
		switch {
		case errA == io.EOF && errB == io.EOF:
			return nil
		case errA != nil && errA != io.EOF:
			return errA
		case errB != nil && errB != io.EOF:
			return errB
		case errA == io.EOF || errB == io.EOF || x.Index != y.Index:
			return fmt.Errorf("the results of jobs %s and %s do not line up: were they run on the same input?", a.ID, b.ID)
		}
		if err := fn(x, y); err != nil {
			return err
		}
	}
}

type answerReader struct {
	rc io.ReadCloser
	br *bufio.Reader
	n  int
}

func (r *Runner) openAnswers(ctx context.Context, job *Job) (*answerReader, error) {
	if job.Status != StatusCompleted {
		return nil, fmt.Errorf("%w: job %s is %s; its answers are read once it is completed", ErrConflict, job.ID, job.Status)
	}
	rc, err := r.blobs.Open(ctx, job.OutputKey, 0)
	if err != nil {
		return nil, fmt.Errorf("open results: %w", err)
	}
	return &answerReader{rc: rc, br: bufio.NewReaderSize(rc, 256<<10)}, nil
}

func (ar *answerReader) Close() error { return ar.rc.Close() }

// next returns the next result line, io.EOF at the end. The whole file is read, so the
// context is checked every few thousand lines (a client that went away stops the pass).
func (ar *answerReader) next(ctx context.Context) (*LineView, error) {
	for {
		ar.n++
		if ar.n%browseCheckEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		line, err := ar.br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var rl resultLine
			if jerr := json.Unmarshal(line, &rl); jerr != nil {
				return nil, fmt.Errorf("read results: %w", jerr)
			}
			return &LineView{Index: rl.Index, ID: rl.ID, Label: rl.Label, Labels: rl.Labels, Error: rl.Error, Confidence: rl.Confidence}, nil
		}
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("read results: %w", err)
		}
	}
}
