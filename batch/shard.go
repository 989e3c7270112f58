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
	// Key, when set, is an object holding just this shard's bytes, decompressed: a
	// compressed input cannot be read from the middle, so its count pass writes each
	// shard out (splitter).
	Key string `json:"key,omitempty"`
}

// SplitPrefix is where a compressed input's shards are written, decompressed.
func SplitPrefix(id string) string { return JobPrefix(id) + "split/" }

func splitKey(id string, n int) string { return fmt.Sprintf("%s%06d.ndjson", SplitPrefix(id), n) }

// ShardsKey is where a counted job's shards are stored (only with Limits.ShardBytes).
func ShardsKey(id string) string { return "jobs/" + id + "/shards.json" }

// putShards stores a job's shards. A compressed input has no index to start reading it
// in the middle: each shard would decompress everything before it, so its shards are
// the objects its count pass wrote (c.split), or, counted without them, one shard.
func (r *Runner) putShards(ctx context.Context, job *Job, c inputCount, version string) error {
	shards := c.shards
	compressed, err := r.compressed(ctx, job, version)
	if err != nil {
		return fmt.Errorf("store shards: %w", err)
	}
	switch {
	case compressed && len(c.split) == len(shards):
		for i := range shards {
			shards[i].Key = c.split[i]
		}
	case compressed:
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
	var src io.ReadCloser
	if s.Key != "" {
		src, err = r.blobs.Open(ctx, s.Key, 0)
	} else {
		src, err = openInput(ctx, pinned{r.blobs, job.InputVersion}, job.InputKey, s.Offset, r.cfg.Limits.withDefaults())
	}
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

// splitter writes a compressed input's shards, decompressed, to objects of their own
// while the count pass reads it: the input is decompressed once, on the node that counts
// it, and workers read their shard alone. It cuts where the count pass starts a shard
// (inputCounter.shardBoundary): at the first line start at least shardBytes after the
// current shard's. Each object is streamed to storage through a pipe: memory stays flat.
type splitter struct {
	ctx   context.Context
	blobs Blobs
	job   string
	size  int64

	pos       int64 // bytes written
	start     int64 // the current object's first byte
	lineStart bool  // the next byte starts a line
	offsets   []int64
	keys      []string
	pw        *io.PipeWriter
	done      chan error // the current object's Put
}

func newSplitter(ctx context.Context, blobs Blobs, job string, size int64) *splitter {
	return &splitter{ctx: ctx, blobs: blobs, job: job, size: size, lineStart: true}
}

// Write takes the next piece of the decompressed input.
func (s *splitter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		if s.pw == nil || (s.lineStart && s.pos-s.start >= s.size) {
			if err := s.next(); err != nil {
				return 0, err
			}
		}
		// Up to the first byte a cut may come after, then to the end of that line.
		n := len(p)
		if need := s.start + s.size - s.pos; need > 0 {
			n = int(min(need, int64(n)))
		} else if i := bytes.IndexByte(p, '\n'); i >= 0 {
			n = i + 1
		}
		if _, err := s.pw.Write(p[:n]); err != nil {
			return 0, err
		}
		s.pos += int64(n)
		s.lineStart = p[n-1] == '\n'
		p = p[n:]
	}
	return total, nil
}

// next ends the current object and starts the next one at s.pos.
func (s *splitter) next() error {
	if err := s.end(nil); err != nil {
		return err
	}
	key := splitKey(s.job, len(s.keys))
	pr, pw := io.Pipe()
	s.pw, s.done, s.start = pw, make(chan error, 1), s.pos
	s.offsets, s.keys = append(s.offsets, s.pos), append(s.keys, key)
	go func() {
		_, err := s.blobs.Put(s.ctx, key, pr, -1)
		pr.CloseWithError(cmpErr(err, io.ErrClosedPipe))
		s.done <- err
	}()
	return nil
}

// end closes the current object (with err, its writes fail) and waits for its Put.
func (s *splitter) end(err error) error {
	if s.pw == nil {
		return nil
	}
	s.pw.CloseWithError(err)
	perr := <-s.done
	s.pw = nil
	if perr != nil {
		return fmt.Errorf("write shard %d of the decompressed input: %w", len(s.keys)-1, perr)
	}
	return nil
}

// finish ends the last object and returns the objects' keys, which must start where the
// count pass's shards do. An empty input is one empty shard.
func (s *splitter) finish(shards []Shard) ([]string, error) {
	if len(s.keys) == 0 {
		if err := s.next(); err != nil {
			return nil, err
		}
	}
	if err := s.end(nil); err != nil {
		return nil, err
	}
	if len(shards) != len(s.offsets) {
		return nil, fmt.Errorf("split input: %d objects for %d shards", len(s.offsets), len(shards))
	}
	for i, sh := range shards {
		if sh.Offset != s.offsets[i] {
			return nil, fmt.Errorf("split input: object %d starts at byte %d, its shard at %d", i, s.offsets[i], sh.Offset)
		}
	}
	return s.keys, nil
}

func cmpErr(err, or error) error {
	if err != nil {
		return err
	}
	return or
}
