package shards

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/classifytest"
	"github.com/classer-ai/classer-batch/cluster"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

// The tests run the real thing on one process: an embedded NATS node, the KV state store,
// S3 objects on the test S3 server (skipped without one, as blob's S3 tests are), the
// built-in classifier.

type env struct {
	js    jetstream.JetStream
	st    *kvstore.Store
	s3    *blob.S3
	clf   classify.Classifier
	spec  classify.Spec
	log   *slog.Logger
	limit batch.Limits
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ep := os.Getenv("CLASSER_TEST_S3_ENDPOINT")
	if ep == "" {
		t.Skip("S3 tests skipped: CLASSER_TEST_S3_ENDPOINT is not set (bash .ci/run starts versitygw)")
	}
	var b [6]byte
	rand.Read(b[:])
	ctx := context.Background()
	s3, err := blob.NewS3(ctx, blob.S3Config{Endpoint: ep, AccessKey: os.Getenv("CLASSER_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("CLASSER_TEST_S3_SECRET_KEY"), Bucket: "classer-shards-" + hex.EncodeToString(b[:])}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s3.Delete(context.Background(), "jobs/") })
	log := slog.New(slog.DiscardHandler)
	node, err := cluster.StartNode(cluster.NodeConfig{Name: "n1", ClientAddr: "127.0.0.1:0", StoreDir: t.TempDir()}, log, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Close)
	nc, js, err := node.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	st, err := kvstore.Open(ctx, js, kvstore.Config{Replicas: 1, Node: "n1"})
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
	return &env{js: js, st: st, s3: s3, clf: clf, spec: spec, log: log,
		limit: batch.Limits{ChunkLines: 32, ShardBytes: 8 << 10}}
}

// s3Blobs adapts blob.S3 to batch.Blobs.
type s3Blobs struct{ *blob.S3 }

func (b s3Blobs) CreatePartial(ctx context.Context, key string, offset int64) (batch.Output, error) {
	return b.S3.CreatePartial(ctx, key, offset)
}

// worker is one process's runner and queue.
type worker struct {
	r *batch.Runner
	q *Queue
	// dispatched gets the id of every job this worker's runner has dispatched.
	dispatched chan string
}

func (e *env) worker(t *testing.T, cfg Config, objs Objects, wrap func(Runner) Runner) *worker {
	t.Helper()
	w := &worker{dispatched: make(chan string, 8)}
	bc := batch.Config{Workers: 2, Limits: e.limit, Dispatch: func(ctx context.Context, j *batch.Job) error {
		err := w.q.Dispatch(ctx, j)
		if err == nil {
			select {
			case w.dispatched <- j.ID:
			default: // nobody is waiting for it
			}
		}
		return err
	}}
	w.r = batch.NewRunner(bc, e.st, s3Blobs{e.s3}, e.clf, e.log, nil)
	var r Runner = w.r
	if wrap != nil {
		r = wrap(r)
	}
	if objs == nil {
		objs = e.s3
	}
	q, err := Open(context.Background(), e.js, cfg, r, e.st, objs, e.log)
	if err != nil {
		t.Fatal(err)
	}
	w.q = q
	q.Start()
	t.Cleanup(func() {
		q.Close()
		w.r.Shutdown(context.Background())
	})
	return w
}

func input(n int) string {
	var b strings.Builder
	b.WriteString("\n")
	for i := range n {
		switch {
		case i%53 == 0:
			b.WriteString("{not json\n")
		case i%71 == 0:
			b.WriteString("   \n")
		default:
			fmt.Fprintf(&b, `{"id":%d,"text":"I was charged twice for invoice %d, please refund me"}`+"\n", i, i)
		}
	}
	return b.String()
}

func (e *env) reference(t *testing.T, in string) []byte {
	t.Helper()
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(in)), nil }
	model, err := batch.Compile(context.Background(), e.clf, e.spec, open, batch.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := batch.Process(context.Background(), strings.NewReader(in), &out, e.spec, model, 2, batch.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// start stores in as a new job's input, starts the job and hands it to r.
func (e *env) start(t *testing.T, r *batch.Runner, in string) string {
	t.Helper()
	id := e.create(t, in)
	if _, err := e.st.StartJob(context.Background(), "acme", id, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	r.Run(id)
	return id
}

func (e *env) wait(t *testing.T, id string) *batch.Job {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		j, err := e.st.Job(context.Background(), "", id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == batch.StatusCompleted || j.Status == batch.StatusFailed {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after two minutes", id, j.Status)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
}

// check asserts a finished job: completed with results byte-identical to want, billed
// once, its parts, records and multipart uploads gone.
func (e *env) check(t *testing.T, id string, want []byte) {
	t.Helper()
	ctx := context.Background()
	j := e.wait(t, id)
	if j.Status != batch.StatusCompleted {
		t.Fatalf("job %+v", j)
	}
	rc, err := e.s3.Open(ctx, j.OutputKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("results (%d bytes, %v) differ from a single run's (%d bytes)", len(got), err, len(want))
	}
	if j.Checkpoint.Completed+j.Checkpoint.Failed != j.RequestsTotal || j.Checkpoint.OutputOffset != int64(len(want)) {
		t.Errorf("job counters %+v, %d lines", j.Checkpoint, j.RequestsTotal)
	}
	days, err := e.st.UsageRange(ctx, "acme", time.Now().Add(-48*time.Hour), time.Now().Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var jobs int64
	for _, d := range days {
		jobs += d.Jobs
	}
	if jobs != 1 {
		t.Errorf("usage counts %d jobs, want 1", jobs)
	}
	if open, err := e.s3.OpenUploads(ctx, "jobs/"); err != nil || len(open) != 0 {
		t.Errorf("multipart uploads left open: %v (%v)", open, err)
	}
	kv, err := kvstore.Open(ctx, e.js, kvstore.Config{Bucket: Bucket})
	if err != nil {
		t.Fatal(err)
	}
	// The finalize cleans up after it has completed the job.
	deadline := time.Now().Add(time.Minute)
	for {
		keys, err := kv.RawKeys(ctx, recordPrefix(id))
		if err != nil {
			t.Fatal(err)
		}
		_, perr := e.s3.Stat(ctx, PartsPrefix(id)+"000000.001.ndjson")
		_, serr := e.s3.Stat(ctx, batch.SplitPrefix(id)+"000000.ndjson")
		if len(keys) == 0 && perr != nil && serr != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a minute after the finalize: records %v, part 0 (%v), decompressed shard 0 (%v)", keys, perr, serr)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
}

// TestShardedJob: a job cut into shards and worked on by two workers' slots completes
// with results byte-identical to a single run, billed once, nothing left behind.
func TestShardedJob(t *testing.T) {
	e := newEnv(t)
	in := input(3000)
	want := e.reference(t, in)
	w1 := e.worker(t, Config{Node: "w1", Slots: 2, Sweep: true}, nil, nil)
	e.worker(t, Config{Node: "w2", Slots: 2}, nil, nil)
	id := e.start(t, w1.r, in)
	e.check(t, id, want)
}

// TestShardedGzipJob: a gzip input's count pass writes its shards decompressed, and they
// are shared between the workers as a plain input's are: completed byte-identical, the
// decompressed shards removed with the parts.
func TestShardedGzipJob(t *testing.T) {
	e := newEnv(t)
	in := input(3000)
	want := e.reference(t, in)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(in))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	w1 := e.worker(t, Config{Node: "w1", Slots: 2, Sweep: true}, nil, nil)
	e.worker(t, Config{Node: "w2", Slots: 2}, nil, nil)
	id := e.start(t, w1.r, gz.String())
	job, err := e.st.Job(context.Background(), "", id)
	if err != nil {
		t.Fatal(err)
	}
	for !job.Counted { // wait for the count
		if job.Status != batch.StatusProcessing {
			t.Fatalf("job %+v", job)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
		if job, err = e.st.Job(context.Background(), "", id); err != nil {
			t.Fatal(err)
		}
	}
	shards, err := w1.r.Shards(context.Background(), job)
	if err != nil || len(shards) < 10 || shards[1].Key == "" {
		t.Fatalf("%d shards (%v), want 10 or more, each its own object: %+v", len(shards), err, shards)
	}
	e.check(t, id, want)
}

// stallRunner holds RunShard of one shard until released.
type stallRunner struct {
	Runner
	shard   int64 // the Offset of the shard to hold
	claimed chan struct{}
	release chan struct{}
}

func (s *stallRunner) RunShard(ctx context.Context, job *batch.Job, sh batch.Shard, dst io.Writer, report func(batch.ShardResult) error) (batch.ShardResult, error) {
	if sh.Offset == s.shard {
		close(s.claimed)
		<-s.release
	}
	return s.Runner.RunShard(ctx, job, sh, dst, report)
}

// TestStalledWorkerCommitRefused: a worker that stalled while another claimed its shard
// (its lease had expired) finishes its work, but its commit is refused and its part
// deleted; the shard's results are the other worker's, and the job completes
// byte-identical.
func TestStalledWorkerCommitRefused(t *testing.T) {
	e := newEnv(t)
	in := input(3000)
	want := e.reference(t, in)
	stall := &stallRunner{shard: 0, claimed: make(chan struct{}), release: make(chan struct{})}
	deletes := &deleteRecorder{Objects: e.s3}
	w1 := e.worker(t, Config{Node: "stalled", Slots: 1, Lease: time.Minute}, deletes, func(r Runner) Runner { stall.Runner = r; return stall })
	id := e.start(t, w1.r, in)
	<-stall.claimed

	// The stalled worker's lease expires and the shard is claimed again: as the sweeper
	// and a second worker would, without waiting a minute.
	ctx := context.Background()
	key := recordKey(id, 0)
	rec, rev, err := w1.q.read(ctx, key)
	if err != nil || rec.State != stateRunning || rec.Worker != "stalled" {
		t.Fatalf("record %+v, %v", rec, err)
	}
	rec.State, rec.Lease, rec.Sent = stateQueued, time.Time{}, rec.Sent+1
	if _, err := w1.q.write(ctx, key, rec, rev); err != nil {
		t.Fatal(err)
	}
	if err := w1.q.publish(ctx, rec); err != nil {
		t.Fatal(err)
	}
	e.worker(t, Config{Node: "w2", Slots: 1, Sweep: true}, nil, nil)
	for { // w2 claims it
		if cur, _, err := w1.q.read(ctx, key); err == nil && cur.Worker == "w2" {
			break
		}
		time.Sleep(10 * time.Millisecond) // polling interval, not an assertion
	}
	close(stall.release)
	e.check(t, id, want)
	// It resumes as soon as it is released: 20 s is ample, and bounds the mutation check.
	deadline := time.Now().Add(20 * time.Second)
	for !deletes.has(partKey(id, 0, 1)) { // its commit refused, the stalled worker deletes its part
		if time.Now().After(deadline) {
			t.Fatal("the stalled worker did not delete its part: its commit was not refused")
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
}

// deleteRecorder records the prefixes Delete was called with.
type deleteRecorder struct {
	Objects
	mu   sync.Mutex
	keys []string
}

func (d *deleteRecorder) Delete(ctx context.Context, prefix string) error {
	d.mu.Lock()
	d.keys = append(d.keys, prefix)
	d.mu.Unlock()
	return d.Objects.Delete(ctx, prefix)
}

func (d *deleteRecorder) has(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Contains(d.keys, key)
}

// composeCounter counts Compose calls; the first one waits for release.
type composeCounter struct {
	Objects
	n       atomic.Int32
	entered chan struct{}
	release chan struct{}
}

func (c *composeCounter) Compose(ctx context.Context, dst string, srcs []blob.ComposePart) error {
	if c.n.Add(1) == 1 {
		close(c.entered)
		<-c.release
	}
	return c.Objects.Compose(ctx, dst, srcs)
}

// TestFinalizeOnce: two processes that both see every shard done (the last commit's
// worker and the sweeper) finalize the job once: the second finds the finalize key held.
func TestFinalizeOnce(t *testing.T) {
	e := newEnv(t)
	in := input(600)
	want := e.reference(t, in)
	cc := &composeCounter{Objects: e.s3, entered: make(chan struct{}), release: make(chan struct{})}
	w1 := e.worker(t, Config{Node: "w1", Slots: 2}, cc, nil)
	id := e.start(t, w1.r, in)
	<-cc.entered // the last shard's worker is finalizing

	w2 := e.worker(t, Config{Node: "w2"}, cc, nil)
	job, err := e.st.Job(context.Background(), "", id)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := w2.q.finalize(context.Background(), job); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	close(cc.release)
	e.check(t, id, want)
	if n := cc.n.Load(); n != 1 {
		t.Errorf("the results were composed %d times, want once", n)
	}
}

// failRunner fails every run of the shard that starts at shard.
type failRunner struct {
	Runner
	shard int64
}

func (f failRunner) RunShard(ctx context.Context, job *batch.Job, sh batch.Shard, dst io.Writer, report func(batch.ShardResult) error) (batch.ShardResult, error) {
	if sh.Offset == f.shard {
		return batch.ShardResult{}, errors.New("the model's server answered 503")
	}
	return f.Runner.RunShard(ctx, job, sh, dst, report)
}

// TestShardFailsTooOften: a shard that fails MaxAttempts times fails its job, naming the
// shard's first line and the last error; the account's slot is free again and nothing is
// left behind.
func TestShardFailsTooOften(t *testing.T) {
	e := newEnv(t)
	in := input(1000)
	w := e.worker(t, Config{Node: "w1", Slots: 2, MaxAttempts: 2}, nil, func(r Runner) Runner { return failRunner{r, 0} })
	id := e.start(t, w.r, in)
	j := e.wait(t, id)
	if j.Status != batch.StatusFailed || !strings.Contains(j.Error, "shard 0 (from line 1) failed 2 times; last: ") ||
		!strings.Contains(j.Error, "503") {
		t.Fatalf("job %s: %q", j.Status, j.Error)
	}
	if _, err := e.st.StartJob(context.Background(), "acme", e.create(t, in), 1, time.Now()); err != nil {
		t.Fatalf("the account's slot was not given back: %v", err)
	}
}

// create stores in as a new pending job's input.
func (e *env) create(t *testing.T, in string) string {
	t.Helper()
	return e.createFor(t, "acme", in)
}

// createFor stores in as a new pending job of account's.
func (e *env) createFor(t *testing.T, account, in string) string {
	t.Helper()
	ctx := context.Background()
	id := batch.NewJobID()
	if _, err := e.s3.Put(ctx, batch.InputKey(id), strings.NewReader(in), -1); err != nil {
		t.Fatal(err)
	}
	j := &batch.Job{ID: id, Account: account, Spec: e.spec, Status: batch.StatusPending,
		InputKey: batch.InputKey(id), OutputKey: batch.OutputKey(id), CreatedAt: time.Now()}
	if err := e.st.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	return id
}

// countCompose counts Compose calls and composes nothing.
type countCompose struct {
	Objects
	n atomic.Int32
}

func (c *countCompose) Compose(context.Context, string, []blob.ComposePart) error {
	c.n.Add(1)
	return nil
}

// TestNoFinalizeWhileDispatching: the records of a job being dispatched are created one
// by one; when the ones created so far are all done, the job is not finalized with
// them: every record says how many shards its job has.
func TestNoFinalizeWhileDispatching(t *testing.T) {
	e := newEnv(t)
	cc := &countCompose{Objects: e.s3}
	w := e.worker(t, Config{Node: "w1"}, cc, nil)
	ctx := context.Background()
	job := &batch.Job{ID: batch.NewJobID(), OutputKey: "jobs/x/results.ndjson"}
	for n := range 2 { // of 3
		v, err := json.Marshal(record{Job: job.ID, N: n, Of: 3, State: stateDone, Part: partKey(job.ID, n, 1)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.q.kv.RawCreate(ctx, recordKey(job.ID, n), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.q.finalize(ctx, job); err != nil {
		t.Fatal(err)
	}
	if n := cc.n.Load(); n != 0 {
		t.Fatalf("two shards of three done: the results were composed %d times", n)
	}
}

// TestCancelShardedJob: a cancel of a job whose shards are being worked on fails the job
// "cancelled" at the sweeper's next pass, gives the account's slot back and removes the
// shards; the worker still on a shard finds it gone and keeps nothing.
func TestCancelShardedJob(t *testing.T) {
	e := newEnv(t)
	stall := &stallRunner{shard: 0, claimed: make(chan struct{}), release: make(chan struct{})}
	w := e.worker(t, Config{Node: "w1", Slots: 1, Lease: time.Minute}, nil, func(r Runner) Runner { stall.Runner = r; return stall })
	id := e.start(t, w.r, input(1000))
	<-stall.claimed
	ctx := context.Background()
	if err := w.r.Cancel(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := w.q.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	j, err := e.st.Job(ctx, "", id)
	if err != nil || j.Status != batch.StatusFailed || j.Error != "cancelled" {
		t.Fatalf("after a cancel and a sweep: %+v, %v", j, err)
	}
	if keys, _ := w.q.kv.RawKeys(ctx, recordPrefix(id)); len(keys) != 0 {
		t.Errorf("records left: %v", keys)
	}
	close(stall.release)
	if _, err := e.st.StartJob(ctx, "acme", e.create(t, input(10)), 1, time.Now()); err != nil {
		t.Fatalf("the account's slot was not given back: %v", err)
	}
	deadline := time.Now().Add(time.Minute)
	for { // the worker's shard was removed under it: its part is deleted
		if _, err := e.s3.Stat(ctx, partKey(id, 0, 1)); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the worker kept the part of a cancelled job's shard")
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
}

// TestLongQueueNoDuplicates: shards that wait in the queue far past the sweeper's
// patience (a deep queue, no worker free) are not published again while their messages
// are in the stream; once the stream has lost them, the sweeper publishes them again.
func TestLongQueueNoDuplicates(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var skew atomic.Int64 // the sweeper's clock runs ahead by this much
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	// A window wider than the job: every shard is queued, as in a deep queue of many jobs.
	w := e.worker(t, Config{Node: "d", Slots: 0, Lease: time.Second, Now: clock, Window: 1000}, nil, nil)
	q, r := w.q, w.r

	id := e.start(t, r, input(3000))
	subject := subjects + seg(id)
	inStream := func() uint64 {
		t.Helper()
		info, err := q.stream.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Subjects[subject]
	}
	sent := func() (n int, each []int) {
		t.Helper()
		recs, err := q.records(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			each = append(each, rec.Sent)
			n = rec.Of
		}
		if len(recs) != n {
			return -1, nil
		}
		return n, each
	}
	deadline := time.Now().Add(time.Minute)
	var shards int
	for {
		if n, _ := sent(); n > 1 && inStream() == uint64(n) {
			shards = n
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the job was not dispatched in a minute")
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}

	skew.Store(int64(time.Hour)) // every queued shard has waited far past 4 leases
	if err := q.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := inStream(); n != uint64(shards) {
		t.Fatalf("a sweep of a long queue made %d messages for %d shards", n, shards)
	}
	if _, each := sent(); slices.ContainsFunc(each, func(s int) bool { return s != 1 }) {
		t.Fatalf("queued shards published again: sent %v", each)
	}

	if err := q.stream.Purge(ctx, jetstream.WithPurgeSubject(subject)); err != nil {
		t.Fatal(err)
	}
	if err := q.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n := inStream(); n != uint64(shards) {
		t.Fatalf("after the stream lost the job's %d messages a sweep published %d", shards, n)
	}
}

// orderRunner records, in order, the shards it is asked to run and the jobs it finishes;
// the first shard of job hold waits for release.
type orderRunner struct {
	Runner
	hold    string
	held    chan struct{}
	release chan struct{}
	once    sync.Once
	mu      sync.Mutex
	events  []string
}

func (o *orderRunner) event(s string) {
	o.mu.Lock()
	o.events = append(o.events, s)
	o.mu.Unlock()
}

func (o *orderRunner) RunShard(ctx context.Context, job *batch.Job, sh batch.Shard, dst io.Writer, report func(batch.ShardResult) error) (batch.ShardResult, error) {
	o.event("run " + job.ID)
	if job.ID == o.hold && sh.Offset == 0 {
		o.once.Do(func() { close(o.held) })
		<-o.release
	}
	return o.Runner.RunShard(ctx, job, sh, dst, report)
}

func (o *orderRunner) Finish(ctx context.Context, id string, cp batch.Checkpoint, firstErr string) error {
	err := o.Runner.Finish(ctx, id, cp, firstErr)
	o.event("finish " + id)
	return err
}

// TestWindowInterleavesJobs: a big job's shards are queued a window at a time, the rest
// as its shards are done, so another account's job started after it was dispatched gets
// its shards into the queue at once: it completes before the big job's last shard is
// claimed, and the big job still completes byte-identical.
func TestWindowInterleavesJobs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := input(3000)
	want := e.reference(t, in)
	big := e.create(t, in)
	order := &orderRunner{hold: big, held: make(chan struct{}), release: make(chan struct{})}
	// One slot, so that the queue's order is the order of the work.
	w := e.worker(t, Config{Node: "w1", Slots: 1, Window: 2}, nil, func(r Runner) Runner { order.Runner = r; return order })
	if _, err := e.st.StartJob(ctx, "acme", big, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	w.r.Run(big)
	if id := <-w.dispatched; id != big {
		t.Fatalf("dispatched %s, want the big job %s", id, big)
	}
	<-order.held // its first shard claimed and held: the queue holds the rest of its window
	recs, err := w.q.records(ctx, big)
	if err != nil || len(recs) < 10 {
		t.Fatalf("the big job has %d shards (%v), want 10 or more", len(recs), err)
	}

	small := e.createFor(t, "other", input(300))
	if _, err := e.st.StartJob(ctx, "other", small, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	w.r.Run(small)
	if id := <-w.dispatched; id != small {
		t.Fatalf("dispatched %s, want the small job %s", id, small)
	}
	close(order.release)
	e.check(t, big, want)
	if j := e.wait(t, small); j.Status != batch.StatusCompleted {
		t.Fatalf("the small job: %+v", j)
	}
	order.mu.Lock()
	events := slices.Clone(order.events)
	order.mu.Unlock()
	finished := slices.Index(events, "finish "+small)
	lastBig := -1
	for i, ev := range events {
		if ev == "run "+big {
			lastBig = i
		}
	}
	if finished < 0 || finished > lastBig {
		t.Fatalf("the small job finished at event %d, after the big job's last shard was claimed (event %d): %v", finished, lastBig, events)
	}
}

// TestSweepTopsUpWindow: a worker that died between its commit and publishing the next
// shard of the job's window leaves it to the sweeper, which publishes it.
func TestSweepTopsUpWindow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.worker(t, Config{Node: "d", Slots: 0, Window: 1}, nil, nil)
	id := e.start(t, w.r, input(1000))
	if got := <-w.dispatched; got != id {
		t.Fatalf("dispatched %s, want %s", got, id)
	}
	subject := subjects + seg(id)
	inStream := func() uint64 {
		t.Helper()
		info, err := w.q.stream.Info(ctx, jetstream.WithSubjectFilter(subject))
		if err != nil {
			t.Fatal(err)
		}
		return info.State.Subjects[subject]
	}
	if n := inStream(); n != 1 {
		t.Fatalf("a window of 1 published %d messages", n)
	}
	// Shard 0 committed by a worker that died before it published shard 1.
	rec, rev, err := w.q.read(ctx, recordKey(id, 0))
	if err != nil {
		t.Fatal(err)
	}
	rec.State = stateDone
	if _, err := w.q.write(ctx, recordKey(id, 0), rec, rev); err != nil {
		t.Fatal(err)
	}
	if next, _, err := w.q.read(ctx, recordKey(id, 1)); err != nil || next.State != stateWaiting {
		t.Fatalf("shard 1 before the sweep: %+v, %v", next, err)
	}
	if err := w.q.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if next, _, err := w.q.read(ctx, recordKey(id, 1)); err != nil || next.State != stateQueued || next.Sent != 1 {
		t.Fatalf("shard 1 after the sweep: %+v, %v", next, err)
	}
	if next, _, err := w.q.read(ctx, recordKey(id, 2)); err != nil || next.State != stateWaiting {
		t.Fatalf("shard 2 after the sweep: %+v, %v", next, err)
	}
	if n := inStream(); n != 2 {
		t.Fatalf("after the sweep the stream holds %d of the job's messages, want 2", n)
	}
}

// TestAdoptUncountedJob: a job whose node was lost before it counted the job (the node
// left no heartbeat) is adopted by the sweeper's node, which counts, dispatches and
// finishes it.
func TestAdoptUncountedJob(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := input(3000)
	want := e.reference(t, in)
	id := e.create(t, in)
	// Started on node n1 (the store's), which is lost before its runner ran the job.
	if _, err := e.st.StartJob(ctx, "acme", id, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	w := e.worker(t, Config{Node: "a", Slots: 2}, nil, nil)
	if err := w.q.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if j, err := e.st.Job(ctx, "", id); err != nil || j.Node != "a" {
		t.Fatalf("after a sweep the lost node's job is %+v (%v), want it node a's", j, err)
	}
	e.check(t, id, want)
}

// TestAdoptHalfDispatchedJob: a job whose node counted it and created some of its shard
// records, then was lost, is adopted and dispatched again: the missing records are
// created with the window of the existing ones, which are kept, and the job completes
// byte-identical.
func TestAdoptHalfDispatchedJob(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	in := input(3000)
	want := e.reference(t, in)
	// Node n1 (the store's) counts the job; its dispatch never returns until it is lost.
	counted := make(chan *batch.Job, 1)
	lost := batch.NewRunner(batch.Config{Workers: 1, Limits: e.limit, Dispatch: func(ctx context.Context, j *batch.Job) error {
		counted <- j
		<-ctx.Done()
		return ctx.Err()
	}}, e.st, s3Blobs{e.s3}, e.clf, e.log, nil)
	id := e.start(t, lost, in)
	job := <-counted
	shards, err := lost.Shards(ctx, job)
	if err != nil || len(shards) < 8 {
		t.Fatalf("%d shards (%v), want 8 or more", len(shards), err)
	}
	if err := lost.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}

	w := e.worker(t, Config{Node: "a", Slots: 2}, nil, nil)
	// What n1's dispatch had done: the records outside a window of 4 (it creates those
	// first), none of the window's, no message.
	for n := 4; n < len(shards); n++ {
		v, err := json.Marshal(record{Job: id, N: n, Of: len(shards), Shard: shards[n], Window: 4, State: stateWaiting})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.q.kv.RawCreate(ctx, recordKey(id, n), v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.q.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if j, err := e.st.Job(ctx, "", id); err != nil || j.Node != "a" {
		t.Fatalf("after a sweep the lost node's job is %+v (%v), want it node a's", j, err)
	}
	if got := <-w.dispatched; got != id {
		t.Fatalf("dispatched %s, want %s", got, id)
	}
	recs, err := w.q.records(ctx, id)
	if err != nil || len(recs) != len(shards) || slices.ContainsFunc(recs, func(r *record) bool { return r.Window != 4 }) {
		t.Fatalf("after the adopter's dispatch %d records of %d (%v), all want window 4", len(recs), len(shards), err)
	}
	e.check(t, id, want)
}
