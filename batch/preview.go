package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/classer-ai/classer-batch/classify"
)

// What a job keeps of its input besides the input itself, written when the input is counted
// (at upload or by the count pass): the sample its fit sees, with each text's line number,
// so that a preview or a changed spec can fit again without reading the input; and a sparse
// index of its lines, so that a page of them is read without a pass from the start.

// SampleKey is the object key of a job's fit sample (NDJSON of classify.SampleText, in the
// order the fit sees them).
func SampleKey(id string) string { return "jobs/" + id + "/sample.ndjson" }

// LinesKey is the object key of a job's line index (lineMark pairs, little-endian int64s).
func LinesKey(id string) string { return "jobs/" + id + "/lines.idx" }

// putSample stores the sample a job's fit saw.
func (r *Runner) putSample(ctx context.Context, id string, items []classify.SampleText) error {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	if _, err := r.blobs.Put(ctx, SampleKey(id), &b, int64(b.Len())); err != nil {
		return fmt.Errorf("store sample: %w", err)
	}
	return nil
}

// putMarks stores a job's line index.
func (r *Runner) putMarks(ctx context.Context, id string, marks []lineMark) error {
	b := encodeMarks(marks)
	if _, err := r.blobs.Put(ctx, LinesKey(id), bytes.NewReader(b), int64(len(b))); err != nil {
		return fmt.Errorf("store line index: %w", err)
	}
	return nil
}

// marks loads a job's line index; a job counted before the index existed has none (nil).
func (r *Runner) marks(ctx context.Context, id string) ([]lineMark, error) {
	rc, err := r.blobs.Open(ctx, LinesKey(id), 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load line index: %w", err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("load line index: %w", err)
	}
	return decodeMarks(b), nil
}

// Sample returns the sample a job's fit sees, each text with its input line number. A job
// whose input has not been counted yet is counted now (the pass start would make: the
// fit is stored, and the job counted). Errors: ErrNoInput when nothing was uploaded.
func (r *Runner) Sample(ctx context.Context, job *Job) ([]classify.SampleText, *Job, error) {
	if !job.Counted {
		if _, err := r.blobs.Stat(ctx, job.InputKey); errors.Is(err, fs.ErrNotExist) {
			return nil, job, fmt.Errorf("%w: upload the job's file first", ErrNoInput)
		} else if err != nil {
			return nil, job, err
		}
		var err error
		if job, err = r.count(ctx, job); err != nil {
			return nil, job, err
		}
	}
	rc, err := r.blobs.Open(ctx, SampleKey(job.ID), 0)
	if err != nil {
		return nil, job, fmt.Errorf("load sample: %w", err)
	}
	defer rc.Close()
	var out []classify.SampleText
	sc := bufio.NewScanner(rc)
	sc.Buffer(make([]byte, 64<<10), 4*maxSampleBytes+1024)
	for sc.Scan() {
		var it classify.SampleText
		if err := json.Unmarshal(sc.Bytes(), &it); err != nil {
			return nil, job, fmt.Errorf("load sample: %w", err)
		}
		out = append(out, it)
	}
	if err := sc.Err(); err != nil {
		return nil, job, fmt.Errorf("load sample: %w", err)
	}
	return out, job, nil
}

// Preview runs spec on the job's sample with the fit the job would make with it (nothing is
// stored but what counting the input stores). Errors: ErrNoInput before an upload; a
// *classify.ValidationError for an invalid spec; errors.ErrUnsupported when the classifier
// cannot preview.
func (r *Runner) Preview(ctx context.Context, job *Job, spec classify.Spec) (*classify.Preview, error) {
	pv, ok := r.clf.(classify.Previewer)
	if !ok {
		return nil, fmt.Errorf("preview: %w by this classifier", errors.ErrUnsupported)
	}
	sample, _, err := r.Sample(ctx, job)
	if err != nil {
		return nil, err
	}
	return pv.Preview(spec, sample)
}

// Refit fits the job's classifier again on its stored sample for its current spec and
// records that the stored state is for that spec (compile calls it when SetSpec changed the
// spec before start).
func (r *Runner) Refit(ctx context.Context, job *Job) error {
	fitter, fits := r.clf.(classify.Fitter)
	if !fits || !job.Counted {
		return nil
	}
	sample, _, err := r.Sample(ctx, job)
	if err != nil {
		return err
	}
	texts := make([]string, len(sample))
	for i, s := range sample {
		texts[i] = s.Text
	}
	state, err := fitter.Fit(job.Spec, texts)
	if err != nil {
		return fmt.Errorf("fit: %w", err)
	}
	if _, err := r.blobs.Put(ctx, FitKey(job.ID), bytes.NewReader(state), int64(len(state))); err != nil {
		return fmt.Errorf("store fit: %w", err)
	}
	hash := SpecHash(job.Spec)
	if _, err := r.jobs.UpdateJob(ctx, job.ID, func(j *Job) error {
		j.FitFor, j.Fitted = hash, true
		return nil
	}); err != nil {
		return fmt.Errorf("record fit: %w", err)
	}
	job.FitFor = hash
	return nil
}
