package batch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/classifytest"
	"github.com/classer-ai/classer-batch/store"
)

// The runner's tests use the real store (bbolt in a temp dir), real local storage and the
// built-in classifier. A test may wrap the store (to watch or fail its writes) and the
// storage (to change what Sync reports durable).

// runnerEnv holds one data dir's store and storage; runners are made on it with newRunner.
type runnerEnv struct {
	db   *store.DB
	objs *blob.Local
	clf  *classify.WordClassifier
	spec classify.Spec
}

func newRunnerEnv(t *testing.T) *runnerEnv {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "classer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	objs, err := blob.NewLocal(filepath.Join(dir, "objects"), bytes.Repeat([]byte{3}, 32), "http://127.0.0.1:1", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	clf, err := classifytest.NewBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	spec := classify.Spec{Labels: []string{"billing", "technical", "sales"}}
	if err := spec.Normalize(classify.DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	return &runnerEnv{db: db, objs: objs, clf: clf, spec: spec}
}

// newRunner starts a runner on jobs and blobs (the env's own when nil), stopped at the
// end of the test.
func (e *runnerEnv) newRunner(t *testing.T, cfg batch.Config, jobs batch.JobStore, blobs batch.Blobs, now func() time.Time) *batch.Runner {
	t.Helper()
	if jobs == nil {
		jobs = e.db
	}
	if blobs == nil {
		blobs = localBlobs{e.objs}
	}
	r := batch.NewRunner(cfg, jobs, blobs, e.clf, slog.New(slog.DiscardHandler), now)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return r
}

// startJob stores input as a new job's input and starts the job in the store (as the
// API's start does); the caller then runs it.
func (e *runnerEnv) startJob(t *testing.T, input string) string {
	t.Helper()
	ctx := context.Background()
	id := batch.NewJobID()
	if _, err := e.objs.Put(ctx, batch.InputKey(id), strings.NewReader(input), -1); err != nil {
		t.Fatal(err)
	}
	j := &batch.Job{ID: id, Account: "acme", Spec: e.spec, Status: batch.StatusPending,
		InputKey: batch.InputKey(id), OutputKey: batch.OutputKey(id), CreatedAt: time.Now()}
	if err := e.db.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.StartJob(ctx, "acme", id, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	return id
}

// wait polls the job until it is completed or failed; poke, if not nil, runs at each poll.
func (e *runnerEnv) wait(t *testing.T, id string, poke func()) *batch.Job {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		j, err := e.db.Job(context.Background(), "", id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == batch.StatusCompleted || j.Status == batch.StatusFailed {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after a minute", id, j.Status)
		}
		if poke != nil {
			poke()
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not an assertion
	}
}

// results reads a completed job's results.
func (e *runnerEnv) results(t *testing.T, id string) []byte {
	t.Helper()
	rc, err := e.objs.Open(context.Background(), batch.OutputKey(id), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// reference is what an uninterrupted run gives: the offline pipeline, fitted as a job is.
func (e *runnerEnv) reference(t *testing.T, input string) []byte {
	t.Helper()
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(input)), nil }
	model, err := batch.Compile(context.Background(), e.clf, e.spec, open, batch.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := batch.Process(context.Background(), strings.NewReader(input), &out, e.spec, model, 2, batch.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// localBlobs adapts blob.Local to batch.Blobs (the partial-output types differ only in name).
type localBlobs struct{ *blob.Local }

func (b localBlobs) CreatePartial(ctx context.Context, key string, offset int64) (batch.Output, error) {
	return b.Local.CreatePartial(ctx, key, offset)
}

// watchedStore is the real store with a hook on every UpdateJob: after fn has changed
// the job, and before the transaction commits, check sees the job (and may change it or
// refuse the write).
type watchedStore struct {
	*store.DB
	check func(j *batch.Job) error
}

func (s watchedStore) UpdateJob(ctx context.Context, id string, fn func(*batch.Job) error) (*batch.Job, error) {
	return s.DB.UpdateJob(ctx, id, func(j *batch.Job) error {
		if err := fn(j); err != nil {
			return err
		}
		return s.check(j)
	})
}

// goodText is a distinct, classifiable line i.
func goodText(i int) string {
	return fmt.Sprintf(`{"id":%d,"text":"I was charged twice for invoice %d, please refund me"}`, i, i)
}

// mixedInput is n lines: every badEvery-th one (from the first) invalid JSON, the others
// good; badEvery 0 means none bad.
func mixedInput(n, badEvery int) string {
	var b strings.Builder
	for i := range n {
		if badEvery > 0 && i%badEvery == 0 {
			b.WriteString("{not json\n")
		} else {
			b.WriteString(goodText(i) + "\n")
		}
	}
	return b.String()
}

// TestRunnerEarlyFailure: a file whose first 1,000 lines all fail fails early, naming the
// first bad line; but 1,500 bad lines among good ones fail one by one and the job
// completes (the rule is for a wrong file, not for a file with many bad lines).
func TestRunnerEarlyFailure(t *testing.T) {
	e := newRunnerEnv(t)
	r := e.newRunner(t, batch.Config{Workers: 2, Limits: batch.Limits{ChunkLines: 64}}, nil, nil, nil)

	id := e.startJob(t, mixedInput(3000, 2))
	r.Run(id)
	j := e.wait(t, id, nil)
	if j.Status != batch.StatusCompleted || j.Checkpoint.Failed != 1500 || j.Checkpoint.Completed != 1500 {
		t.Fatalf("1,500 bad lines among 1,500 good: %s (%q), %d completed, %d failed; want completed with each bad line failed alone",
			j.Status, j.Error, j.Checkpoint.Completed, j.Checkpoint.Failed)
	}
	res := string(e.results(t, id))
	if n := strings.Count(res, `"error":"line `); n != 1500 || !strings.Contains(res, `{"index":2998,"error":"line 2999: invalid JSON`) {
		t.Fatalf("%d error results, want 1500, one per bad line naming it", n)
	}

	var bad strings.Builder
	for range 1200 {
		bad.WriteString("{not json\n")
	}
	bad.WriteString(goodText(0) + "\n")
	id = e.startJob(t, bad.String())
	r.Run(id)
	if j := e.wait(t, id, nil); j.Status != batch.StatusFailed || !strings.HasPrefix(j.Error, "no line could be classified: the first 1000 lines all failed; first: line 1: invalid JSON") {
		t.Fatalf("the first 1,200 lines bad: %s %q; want failed early", j.Status, j.Error)
	}
}

// partsBlobs is local storage whose results become durable the way S3's do: bytes wait
// in memory until a Sync finds at least partSize of them and writes them as one part,
// and Sync reports only the bytes in parts. Bytes still waiting are lost when the output
// is closed, as a crash loses them.
type partsBlobs struct {
	localBlobs
	partSize int

	mu      sync.Mutex
	durable int64 // what the last Sync reported (or the resume offset)
	behind  int   // Syncs that reported less than was written
}

type partsOutput struct {
	b       *partsBlobs
	p       batch.Output
	pending []byte
}

func (b *partsBlobs) CreatePartial(ctx context.Context, key string, offset int64) (batch.Output, error) {
	p, err := b.localBlobs.CreatePartial(ctx, key, offset)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.durable = offset
	b.mu.Unlock()
	return &partsOutput{b: b, p: p}, nil
}

// durableNow is the durable offset the last Sync reported.
func (b *partsBlobs) durableNow() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.durable
}

func (o *partsOutput) Write(p []byte) (int, error) {
	o.pending = append(o.pending, p...)
	return len(p), nil
}

func (o *partsOutput) Sync() (int64, error) {
	if len(o.pending) >= o.b.partSize {
		if _, err := o.p.Write(o.pending); err != nil {
			return 0, err
		}
		o.pending = o.pending[:0]
	}
	n, err := o.p.Sync()
	o.b.mu.Lock()
	defer o.b.mu.Unlock()
	if len(o.pending) > 0 {
		o.b.behind++
	}
	o.b.durable = n
	return n, err
}

func (o *partsOutput) Commit() error {
	if _, err := o.p.Write(o.pending); err != nil {
		return err
	}
	o.pending = nil
	return o.p.Commit()
}

func (o *partsOutput) Close() error { return o.p.Close() }

// TestRunnerCheckpointsOnlyDurable: a checkpoint never records results that are not yet
// durable, even when the storage makes them durable later than they are written (S3's
// whole parts). Every checkpoint is checked against what Sync last reported; the job is
// then cancelled at a checkpoint (so the bytes not yet durable are lost, as in a crash)
// and restarted: it resumes from that checkpoint to results equal to an uninterrupted
// run's, byte for byte.
func TestRunnerCheckpointsOnlyDurable(t *testing.T) {
	e := newRunnerEnv(t)
	input := mixedInput(4000, 0)
	want := e.reference(t, input)

	blobs := &partsBlobs{localBlobs: localBlobs{e.objs}, partSize: 16 << 10}
	checkpoints := 0
	watched := watchedStore{DB: e.db, check: func(j *batch.Job) error {
		if j.Status != batch.StatusProcessing && j.Status != batch.StatusFailed {
			return nil // completed: the results were committed whole
		}
		if d := blobs.durableNow(); j.Checkpoint.OutputOffset > d {
			t.Errorf("checkpoint at output byte %d recorded while only %d bytes are durable", j.Checkpoint.OutputOffset, d)
		}
		if j.Checkpoint.OutputOffset > 0 && j.Status == batch.StatusProcessing {
			checkpoints++
			if checkpoints == 5 {
				j.CancelRequested = true // stop here; the bytes after the checkpoint are lost
			}
		}
		return nil
	}}
	// A clock that moves an hour per reading: every chunk is checkpoint time.
	var mu sync.Mutex
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Hour)
		return clock
	}
	cfg := batch.Config{Workers: 2, CheckpointInterval: time.Millisecond, Limits: batch.Limits{ChunkLines: 32}}
	r := e.newRunner(t, cfg, watched, blobs, now)
	id := e.startJob(t, input)
	r.Run(id)
	j := e.wait(t, id, nil)
	if j.Status != batch.StatusFailed || j.Error != "cancelled" {
		t.Fatalf("after the cancel at the fifth checkpoint: %s %q", j.Status, j.Error)
	}
	if j.Checkpoint.OutputOffset == 0 || j.Checkpoint.Completed >= 4000 {
		t.Fatalf("cancelled at checkpoint %+v; want part-way", j.Checkpoint)
	}
	blobs.mu.Lock()
	behind := blobs.behind
	blobs.mu.Unlock()
	if behind == 0 {
		t.Fatal("no Sync reported less than was written; the test did not exercise late durability")
	}

	if _, err := e.db.StartJob(context.Background(), "acme", id, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	r.Run(id)
	if j := e.wait(t, id, nil); j.Status != batch.StatusCompleted || j.Checkpoint.Completed != 4000 {
		t.Fatalf("after the restart: %s %q, %+v", j.Status, j.Error, j.Checkpoint)
	}
	if got := e.results(t, id); !bytes.Equal(got, want) {
		t.Fatalf("results after resuming differ from an uninterrupted run's (%d vs %d bytes)", len(got), len(want))
	}
}

// TestRunnerCompletesPublishedResults: a crash between publishing the results and marking
// the job completed (here: the write that marks it completed fails once) leaves the job
// processing with its results under their final key; the next run completes it with the
// run's final counters, which were recorded before the results were published.
func TestRunnerCompletesPublishedResults(t *testing.T) {
	e := newRunnerEnv(t)
	input := mixedInput(500, 10)
	var crashed atomic.Bool
	watched := watchedStore{DB: e.db, check: func(j *batch.Job) error {
		if j.Status == batch.StatusCompleted && crashed.CompareAndSwap(false, true) {
			return errors.New("crash before the job was marked completed")
		}
		return nil
	}}
	// No checkpoint during the run: only the final counters know how far it got. The
	// results are not read again to count them (a 5 GB job's results would be).
	reads := &resultReads{Blobs: localBlobs{e.objs}}
	r := e.newRunner(t, batch.Config{Workers: 2, CheckpointInterval: time.Hour}, watched, reads, nil)
	id := e.startJob(t, input)
	r.Run(id)
	// The first run ends at the refused write and the runner forgets it: Run again
	// (a no-op while the first run is still on its way out) until the job is settled.
	j := e.wait(t, id, func() {
		if crashed.Load() {
			r.Run(id)
		}
	})
	if !crashed.Load() || j.Status != batch.StatusCompleted || j.Checkpoint.Completed != 450 || j.Checkpoint.Failed != 50 || j.Final != nil {
		t.Fatalf("after the crash: %s %q, %+v (final %v); want completed with 450 completed and 50 failed", j.Status, j.Error, j.Checkpoint, j.Final)
	}
	if got, want := e.results(t, id), e.reference(t, input); !bytes.Equal(got, want) {
		t.Fatal("the published results differ from an uninterrupted run's")
	}
	if n := reads.n.Load(); n != 0 {
		t.Fatalf("the published results were read %d times to count them; the final counters were not recorded before publishing", n)
	}
}

// resultReads counts the opens of any job's results.
type resultReads struct {
	batch.Blobs
	n atomic.Int64
}

func (r *resultReads) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if strings.HasSuffix(key, "/results.ndjson") {
		r.n.Add(1)
	}
	return r.Blobs.Open(ctx, key, offset)
}

// TestRunnerRecountsRestoredResults: a job whose record says processing at a part-way
// checkpoint without final counters, but whose results are published — a database restored
// from a snapshot taken while it ran, with the objects copied after it finished — completes
// with the counters its results hold, not those of the old checkpoint.
func TestRunnerRecountsRestoredResults(t *testing.T) {
	e := newRunnerEnv(t)
	input := mixedInput(500, 10)
	r := e.newRunner(t, batch.Config{Workers: 2, CheckpointInterval: time.Hour}, e.db, nil, nil)
	id := e.startJob(t, input)
	r.Run(id)
	done := e.wait(t, id, nil)
	if done.Status != batch.StatusCompleted {
		t.Fatalf("%s %q", done.Status, done.Error)
	}
	want := done.Checkpoint
	if _, err := e.db.UpdateJob(context.Background(), id, func(j *batch.Job) error {
		j.Status, j.Final, j.CompletedAt = batch.StatusProcessing, nil, time.Time{}
		j.Checkpoint = batch.Checkpoint{InputOffset: 100, OutputOffset: 90, Line: 2, Index: 2, Completed: 2, Tokens: 9}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.Run(id)
	j := e.wait(t, id, nil)
	got := j.Checkpoint
	if j.Status != batch.StatusCompleted || got.Completed != want.Completed || got.Failed != want.Failed ||
		got.Tokens != want.Tokens || got.OutputOffset != want.OutputOffset || got.Completed != 450 {
		t.Fatalf("%s %q: %+v; want completed with %+v", j.Status, j.Error, got, want)
	}
}

// TestRunnerRefitsOldFitState: a job fitted by another version of the classifier (its
// stored state cannot be read: an upgrade while it was processing) is counted and fitted
// again, and completes with the answers of an uninterrupted run.
func TestRunnerRefitsOldFitState(t *testing.T) {
	e := newRunnerEnv(t)
	r := e.newRunner(t, batch.Config{Workers: 2}, nil, nil, nil)
	ctx := context.Background()
	input := mixedInput(300, 0)
	id := e.startJob(t, input)
	if _, err := e.objs.Put(ctx, batch.FitKey(id), strings.NewReader("CBF1 a state of an older version"), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.UpdateJob(ctx, id, func(j *batch.Job) error {
		j.Counted, j.Fitted, j.RequestsTotal = true, true, 300
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r.Run(id)
	j := e.wait(t, id, nil)
	if j.Status != batch.StatusCompleted {
		t.Fatalf("job %s: %s", j.Status, j.Error)
	}
	if got, want := e.results(t, id), e.reference(t, input); !bytes.Equal(got, want) {
		t.Fatalf("results differ from an uninterrupted run")
	}
}
