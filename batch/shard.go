package batch

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/classer-ai/classer-batch/classify"
)

// Shard is one piece of a job's input in cluster mode (issue 25), which workers on any
// node classify on their own. It starts on a line boundary and knows where it is in the
// input, so its result lines (their "index", their "line N" errors) are exactly those a
// single run gives for the same lines, and the shards' results put end to end are the
// single run's results.
type Shard struct {
	Offset int64 `json:"offset"` // its first byte, in the decompressed input
	End    int64 `json:"end"`    // the byte after its last
	Line   int64 `json:"line"`   // physical lines before it (blank ones included)
	Index  int64 `json:"index"`  // non-blank lines before it: results before its first
}

// ShardsKey is where a counted job's shards are stored (only with Limits.ShardBytes).
func ShardsKey(id string) string { return "jobs/" + id + "/shards.json" }

// putShards stores a job's shards. A compressed input has no index to start reading it
// in the middle: each shard would decompress everything before it, so it is one shard.
func (r *Runner) putShards(ctx context.Context, job *Job, c inputCount, version string) error {
	shards := c.shards
	compressed, err := r.compressed(ctx, job, version)
	if err != nil {
		return fmt.Errorf("store shards: %w", err)
	}
	if compressed {
		shards = []Shard{{End: c.bytes}}
	}
	b, err := json.Marshal(shards)
	if err != nil {
		return err
	}
	if _, err := r.blobs.Put(ctx, ShardsKey(job.ID), bytes.NewReader(b), int64(len(b))); err != nil {
		return fmt.Errorf("store shards: %w", err)
	}
	return nil
}

func (r *Runner) compressed(ctx context.Context, job *Job, version string) (bool, error) {
	f, err := pinned{r.blobs, version}.Open(ctx, job.InputKey, 0)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head, err := bufio.NewReader(f).Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	return bytes.HasPrefix(head, gzipMagic) || bytes.HasPrefix(head, zstdMagic), nil
}

// Shards returns a counted job's shards.
func (r *Runner) Shards(ctx context.Context, job *Job) ([]Shard, error) {
	rc, err := r.blobs.Open(ctx, ShardsKey(job.ID), 0)
	if err != nil {
		return nil, fmt.Errorf("load shards: %w", err)
	}
	defer rc.Close()
	var shards []Shard
	if err := json.NewDecoder(rc).Decode(&shards); err != nil {
		return nil, fmt.Errorf("load shards: %w", err)
	}
	return shards, nil
}

// ShardResult is what classifying one shard gave.
type ShardResult struct {
	Bytes     int64  `json:"bytes"` // of results written
	Completed int64  `json:"completed"`
	Failed    int64  `json:"failed"`
	Tokens    int64  `json:"tokens"`
	FirstErr  string `json:"first_err,omitempty"`
}

// RunShard classifies one shard of a counted job into dst, on the runner's pool, with the
// model the job compiles to (its fit included). report, if not nil, is called after
// every chunk written; an error from it stops the run.
func (r *Runner) RunShard(ctx context.Context, job *Job, s Shard, dst io.Writer, report func(ShardResult) error) (ShardResult, error) {
	model, err := r.shardModel(ctx, job)
	if err != nil {
		return ShardResult{}, fmt.Errorf("compile the classifier: %w", err)
	}
	src, err := openInput(ctx, pinned{r.blobs, job.InputVersion}, job.InputKey, s.Offset, r.cfg.Limits.withDefaults())
	if err != nil {
		return ShardResult{}, fmt.Errorf("open input: %w", err)
	}
	defer src.Close()
	var res ShardResult
	p := newPipeline(r.pool, model, job.Spec, r.cfg.Limits)
	cp, err := p.run(ctx, io.LimitReader(src, s.End-s.Offset), dst, Checkpoint{InputOffset: s.Offset, Line: s.Line}, func(pr progress) error {
		if res.FirstErr == "" {
			res.FirstErr = pr.firstErr
		}
		res.Bytes, res.Completed, res.Failed, res.Tokens = pr.cp.OutputOffset, pr.cp.Completed, pr.cp.Failed, pr.cp.Tokens
		if report != nil {
			return report(res)
		}
		return nil
	})
	res.Bytes, res.Completed, res.Failed, res.Tokens = cp.OutputOffset, cp.Completed, cp.Failed, cp.Tokens
	if err == nil && cp.InputOffset != s.End {
		err = fmt.Errorf("read input: shard %d-%d ended at byte %d (the input changed?)", s.Offset, s.End, cp.InputOffset)
	}
	return res, err
}

// shardModel compiles the job's model, or returns the one compiled for its previous
// shard: a worker's shards are mostly of the same job, and loading a fit costs more
// than classifying a small shard. A started job's spec and fit do not change.
func (r *Runner) shardModel(ctx context.Context, job *Job) (classify.Model, error) {
	r.shardMu.Lock()
	defer r.shardMu.Unlock()
	if r.shardJob == job.ID && r.shardCompiled != nil {
		return r.shardCompiled, nil
	}
	m, err := r.compile(ctx, job)
	if err != nil {
		return nil, err
	}
	r.shardJob, r.shardCompiled = job.ID, m
	return m, nil
}

// Finish records a job whose results were published by someone else than its runner
// (cluster mode's finalize): completed with cp, or failed when every line failed. Only
// a processing job changes, so a second finalize of one job changes nothing.
func (r *Runner) Finish(ctx context.Context, id string, cp Checkpoint, firstErr string) error {
	if cp.Completed == 0 && cp.Failed > 0 {
		return r.Fail(ctx, id, cp, fmt.Sprintf("every line failed; first: %s", firstErr))
	}
	now := r.now().UTC()
	_, err := r.jobs.UpdateJob(ctx, id, func(j *Job) error {
		if j.Status != StatusProcessing {
			return errNotProcessing
		}
		j.Status, j.Checkpoint, j.Final = StatusCompleted, cp, nil
		j.CompletedAt, j.FinishedAt = now, now
		j.Error, j.CancelRequested = "", false
		return nil
	})
	if errors.Is(err, errNotProcessing) {
		return nil
	}
	if err == nil {
		r.log.Info("job completed", "job_id", id, "lines", cp.Completed+cp.Failed, "failed", cp.Failed, "tokens", cp.Tokens)
	}
	return err
}

var errNotProcessing = errors.New("job is not processing")

// Fail fails a processing job with msg (cluster mode: a shard failed too often, a
// cancel). A job that is no longer processing is left as it is.
func (r *Runner) Fail(ctx context.Context, id string, cp Checkpoint, msg string) error {
	now := r.now().UTC()
	_, err := r.jobs.UpdateJob(ctx, id, func(j *Job) error {
		if j.Status != StatusProcessing {
			return errNotProcessing
		}
		j.Status, j.FinishedAt, j.Error, j.Checkpoint, j.CancelRequested = StatusFailed, now, msg, cp, false
		return nil
	})
	if errors.Is(err, errNotProcessing) {
		return nil
	}
	if err == nil {
		r.log.Info("job failed", "job_id", id, "error", msg)
	}
	return err
}

// Progress records cp as a processing job's progress when it is further than the
// recorded one (cluster mode: the sum of the shards done so far).
func (r *Runner) Progress(ctx context.Context, id string, cp Checkpoint) error {
	_, err := r.jobs.UpdateJob(ctx, id, func(j *Job) error {
		if j.Status != StatusProcessing || cp.Completed+cp.Failed <= j.Checkpoint.Completed+j.Checkpoint.Failed {
			return errNotProcessing
		}
		j.Checkpoint = cp
		return nil
	})
	if errors.Is(err, errNotProcessing) {
		return nil
	}
	return err
}
