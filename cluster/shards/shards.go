// Package shards shares a job's work between the cluster's workers (issue 25). A job
// counted in cluster mode is cut into shards (batch.Shard); each shard has a record in a
// replicated KV bucket, which is the source of truth, and a message on a JetStream
// work-queue stream, which only wakes a worker. The queue is never trusted on its own: a
// stalled consumer's late ack can remove a message another consumer is working on
// (nats-server #4786), so every decision is a compare-and-swap on a record:
//
//   - a worker claims a shard by moving its record to running with a lease (an attempt
//     number, a deadline), keeps the lease and the message alive while it works, writes
//     its results to a part object named by job, shard and attempt, and commits by
//     moving the record to done at the revision it last wrote. A worker that stalled past
//     its lease finds the record changed: its commit fails and its part is deleted.
//   - the worker whose commit leaves every shard done finalizes: it takes the job's
//     finalize key (created if absent, or taken over once its lease expired), composes
//     the parts into the job's results (blob.S3.Compose) and completes the job with the
//     summed counters, which books its usage once and releases its account's slot.
//   - a sweeper, on the one node that holds the sweeper key's lease, re-publishes shards
//     whose lease expired or whose message was lost, fails jobs whose shards were tried
//     MaxAttempts times, finalizes jobs whose finalizer died, and records progress (the
//     sum of the done shards' counters).
//
// Leases compare wall clocks of different nodes: keep them in sync (NTP); a lease of tens
// of seconds tolerates the usual skew.
package shards

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

// Names of the shared NATS objects.
const (
	Bucket   = "classer-shards"
	Stream   = "CLASSER_SHARDS"
	subjects = "classer.shards."
	consumer = "workers"
)

// Config tunes the queue.
type Config struct {
	Node     string        // this process, as records and logs name it
	Replicas int           // of the bucket and the stream
	Slots    int           // shards this process works on at once; 0: none (no worker)
	Lease    time.Duration // how long a claim holds without renewal; default 30 s
	// MaxAttempts is how many claims a shard gets before its job fails; default 5.
	MaxAttempts int
	// Sweep runs the sweeper on this process when it wins the sweeper key.
	Sweep bool
	// Kind is what this process is, for GET /v1/cluster: "serve" or "worker".
	Kind string
	// Window is how many of a job's shards are in the queue or worked on at once (the
	// rest wait for them): jobs started later get their shards into the queue behind at
	// most this many of each earlier job's. 0: twice the slots of the live processes
	// when the job is dispatched, at least minWindow.
	Window int
	// Now is the clock leases are read by; time.Now when nil (tests run it ahead).
	Now func() time.Time
}

// Runner is what the queue needs of the batch runner.
type Runner interface {
	// Run counts, fits and dispatches a processing job (the sweeper adopts a lost node's
	// job with it); it returns at once.
	Run(id string)
	Shards(ctx context.Context, job *batch.Job) ([]batch.Shard, error)
	RunShard(ctx context.Context, job *batch.Job, s batch.Shard, dst io.Writer, report func(batch.ShardResult) error) (batch.ShardResult, error)
	Finish(ctx context.Context, id string, cp batch.Checkpoint, firstErr string) error
	Fail(ctx context.Context, id string, cp batch.Checkpoint, msg string) error
	Progress(ctx context.Context, id string, cp batch.Checkpoint) error
}

// Jobs reads jobs from the state store, and moves a lost node's job to this one.
type Jobs interface {
	Job(ctx context.Context, account, id string) (*batch.Job, error)
	JobsByStatus(ctx context.Context, status batch.Status) ([]*batch.Job, error)
	UpdateJob(ctx context.Context, id string, fn func(*batch.Job) error) (*batch.Job, error)
}

// Objects is the object storage the queue writes parts and results to.
type Objects interface {
	Put(ctx context.Context, key string, r io.Reader, max int64) (int64, error)
	Delete(ctx context.Context, prefix string) error
	Compose(ctx context.Context, dst string, srcs []blob.ComposePart) error
}

// Queue is one process's side of the shared work: its worker slots and, when elected, the
// sweeper. Close stops them.
type Queue struct {
	cfg    Config
	kv     *kvstore.Store
	js     jetstream.JetStream
	cons   jetstream.Consumer
	stream jetstream.Stream
	runner Runner
	jobs   Jobs
	objs   Objects
	log    *slog.Logger
	now    func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu   sync.Mutex
	busy int // slots working on a shard
}

// record is a shard's state: the source of truth.
type record struct {
	Job   string      `json:"job"`
	N     int         `json:"n"`
	Of    int         `json:"of"` // the job's shards: records are created one by one
	Shard batch.Shard `json:"shard"`
	// Window is the job's window (Config.Window): when shard N is done, shard N+Window is
	// published, so at most Window of the job's shards are queued or running at once.
	// 0 (records written before windows): every shard was published at once.
	Window  int               `json:"window,omitempty"`
	State   string            `json:"state"` // waiting, queued, running, done
	Attempt int               `json:"attempt"`
	Worker  string            `json:"worker,omitempty"`
	Lease   time.Time         `json:"lease,omitzero"`  // running: the claim holds until then
	Queued  time.Time         `json:"queued,omitzero"` // when its message was last published
	Sent    int               `json:"sent"`            // messages published, for their ids
	Part    string            `json:"part,omitempty"`
	Result  batch.ShardResult `json:"result"`
	LastErr string            `json:"last_err,omitempty"`
}

const (
	stateWaiting = "waiting" // outside the job's window: no message published yet
	stateQueued  = "queued"
	stateRunning = "running"
	stateDone    = "done"
)

// lease is the value of a finalize key and of the sweeper key.
type lease struct {
	Node  string    `json:"node"`
	Until time.Time `json:"until"`
}

type message struct {
	Job string `json:"job"`
	N   int    `json:"n"`
}

func seg(s string) string { return hex.EncodeToString([]byte(s)) }

func recordPrefix(job string) string { return "s." + seg(job) + "." }
func recordKey(job string, n int) string {
	return fmt.Sprintf("%s%06d", recordPrefix(job), n)
}
func finalizeKey(job string) string { return "f." + seg(job) }

// doneKey marks a committed shard. Markers are only created (until the job's cleanup),
// so counting their keys, one request, tells whether every shard is done without
// reading every record after every commit.
func donePrefix(job string) string { return "d." + seg(job) + "." }
func doneKey(job string, n int) string {
	return fmt.Sprintf("%s%06d", donePrefix(job), n)
}

const sweeperKey = "sweeper"

// PartsPrefix is where a job's shard results are kept until its finalize.
func PartsPrefix(job string) string { return batch.JobPrefix(job) + "parts/" }

func partKey(job string, n, attempt int) string {
	return fmt.Sprintf("%s%06d.%03d.ndjson", PartsPrefix(job), n, attempt)
}

// Open binds to (creating if need be) the shard bucket, the work-queue stream and its
// consumer. A fresh cluster may answer "no suitable peers" for a while: Open retries
// until ctx is done.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config, runner Runner, jobs Jobs, objs Objects, log *slog.Logger) (*Queue, error) {
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	cfg.Replicas = max(cfg.Replicas, 1)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	kv, err := kvstore.Open(ctx, js, kvstore.Config{Bucket: Bucket, Replicas: cfg.Replicas})
	if err != nil {
		return nil, err
	}
	q := &Queue{cfg: cfg, kv: kv, js: js, runner: runner, jobs: jobs, objs: objs, log: log.With("component", "shards"), now: cfg.Now}
	for {
		err = q.openStream(ctx)
		if err == nil || !kvstore.Settling(err) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("shards: open stream: %w (last error: %w)", ctx.Err(), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("shards: open stream: %w", err)
	}
	q.ctx, q.cancel = context.WithCancel(context.Background())
	return q, nil
}

func (q *Queue) openStream(ctx context.Context) error {
	actx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	stream, err := q.js.CreateOrUpdateStream(actx, jetstream.StreamConfig{
		Name:       Stream,
		Subjects:   []string{subjects + ">"},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		Replicas:   q.cfg.Replicas,
		Duplicates: 2 * time.Minute,
	})
	if err != nil {
		return err
	}
	// MaxDeliver is unlimited: the records count attempts, and a message that reached a
	// max-deliver would stay in the stream for ever (nats-server #5564). MaxAckPending is
	// far above the slots of any cluster: when it is reached delivery stops silently, and a
	// stalled worker's message counts until its ack wait ends.
	cons, err := stream.CreateOrUpdateConsumer(actx, jetstream.ConsumerConfig{
		Durable:       consumer,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       q.cfg.Lease,
		MaxDeliver:    -1,
		MaxAckPending: 10_000,
		FilterSubject: subjects + ">",
	})
	if err != nil {
		return err
	}
	q.stream, q.cons = stream, cons
	return nil
}

// Start runs the worker slots and the sweeper until Close.
func (q *Queue) Start() {
	for range q.cfg.Slots {
		q.wg.Go(q.slot)
	}
	if q.cfg.Sweep {
		q.wg.Go(q.sweepLoop)
	}
	q.wg.Go(q.heartbeat)
}

// Close stops the slots (a shard in progress is abandoned: its lease expires and another
// worker takes it) and the sweeper, and waits for them.
func (q *Queue) Close() {
	q.cancel()
	q.wg.Wait()
}

// Dispatch creates the records of a counted job's shards and publishes the messages of
// the first Window of them (batch.Config.Dispatch); each commit publishes the next. It is
// safe to call again: records that exist are left as they are (and keep the window they
// were created with); a record whose message was not published is re-published by the
// sweeper.
func (q *Queue) Dispatch(ctx context.Context, job *batch.Job) error {
	shards, err := q.runner.Shards(ctx, job)
	if err != nil {
		return err
	}
	window, err := q.jobWindow(ctx, job.ID)
	if err != nil {
		return err
	}
	if window == 0 { // records written before windows: every shard is published
		window = len(shards)
	}
	// The records outside the window first: by the time a shard in the window can be
	// committed, the record it promotes exists.
	first := min(window, len(shards))
	order := make([]int, 0, len(shards))
	for n := range shards {
		order = append(order, (n+first)%len(shards))
	}
	for _, n := range order {
		rec := &record{Job: job.ID, N: n, Of: len(shards), Shard: shards[n], Window: window, State: stateWaiting}
		if n < window {
			rec.State, rec.Queued, rec.Sent = stateQueued, q.now(), 1
		}
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		if _, err := q.kv.RawCreate(ctx, recordKey(job.ID, n), v); errors.Is(err, jetstream.ErrKeyExists) {
			continue
		} else if err != nil {
			return fmt.Errorf("shards: create record %d of job %s: %w", n, job.ID, err)
		}
		if rec.State == stateQueued {
			if err := q.publish(ctx, rec); err != nil {
				return err
			}
		}
	}
	q.log.Info("job dispatched", "job_id", job.ID, "shards", len(shards), "window", window)
	return nil
}

// minWindow is the smallest default window: a small cluster still keeps a few shards of
// a job ahead of its slots.
const minWindow = 8

// jobWindow is the window of a job being dispatched: the one its records already have
// (a dispatch started before), else Config.Window, else twice the live slots.
func (q *Queue) jobWindow(ctx context.Context, job string) (int, error) {
	keys, err := q.kv.RawKeys(ctx, recordPrefix(job))
	if err != nil {
		return 0, err
	}
	if len(keys) > 0 {
		rec, _, err := q.read(ctx, keys[0])
		if err != nil {
			return 0, err
		}
		return rec.Window, nil
	}
	if q.cfg.Window > 0 {
		return q.cfg.Window, nil
	}
	procs, err := q.processes(ctx)
	if err != nil {
		return 0, err
	}
	slots := 0
	for _, p := range procs {
		if !p.Lost {
			slots += p.Slots
		}
	}
	return max(2*slots, minWindow), nil
}

// promote publishes the shard one window after rec, which is done. The committing
// worker calls it, and the sweeper for a worker that died between its commit and this.
func (q *Queue) promote(ctx context.Context, rec *record) error {
	if rec.Window <= 0 || rec.N+rec.Window >= rec.Of {
		return nil
	}
	key := recordKey(rec.Job, rec.N+rec.Window)
	next, rev, err := q.read(ctx, key)
	if kvstore.Missing(err) {
		return nil // the job was finished or cancelled
	}
	if err != nil {
		return err
	}
	if next.State != stateWaiting {
		return nil
	}
	next.State, next.Queued, next.Sent = stateQueued, q.now(), next.Sent+1
	if _, err := q.write(ctx, key, next, rev); errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
		return nil // promoted by another process
	} else if err != nil {
		return err
	}
	return q.publish(ctx, next)
}

func (q *Queue) publish(ctx context.Context, rec *record) error {
	data, err := json.Marshal(message{Job: rec.Job, N: rec.N})
	if err != nil {
		return err
	}
	id := fmt.Sprintf("%s.%d.%d", rec.Job, rec.N, rec.Sent)
	_, err = kvstore.Retry(ctx, func(ctx context.Context) (*jetstream.PubAck, error) {
		return q.js.Publish(ctx, subjects+seg(rec.Job), data, jetstream.WithMsgID(id))
	})
	if err != nil {
		return fmt.Errorf("shards: publish shard %d of job %s: %w", rec.N, rec.Job, err)
	}
	return nil
}

func (q *Queue) read(ctx context.Context, key string) (*record, uint64, error) {
	v, rev, err := q.kv.RawGet(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	var rec record
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, 0, fmt.Errorf("shards: decode %s: %w", key, err)
	}
	return &rec, rev, nil
}

// write stores rec at key if the record is still at rev, and returns the new revision.
func (q *Queue) write(ctx context.Context, key string, rec *record, rev uint64) (uint64, error) {
	v, err := json.Marshal(rec)
	if err != nil {
		return 0, err
	}
	return q.kv.RawUpdate(ctx, key, v, rev)
}

// slot is one worker slot: it fetches one message at a time and works on its shard.
func (q *Queue) slot() {
	for q.ctx.Err() == nil {
		// The fetch is bound to the queue's context, so that Close does not wait out a
		// fetch's 5 s on an idle queue (every stop of a node or worker paid it).
		fctx, cancel := context.WithTimeout(q.ctx, 5*time.Second)
		msgs, err := q.cons.Fetch(1, jetstream.FetchContext(fctx))
		if err != nil {
			cancel()
			q.pause()
			continue
		}
		for msg := range msgs.Messages() {
			q.handle(msg)
		}
		cancel()
		if err := msgs.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, context.DeadlineExceeded) && q.ctx.Err() == nil {
			q.log.Debug("fetch", "err", err)
			q.pause()
		}
	}
}

func (q *Queue) pause() {
	select {
	case <-q.ctx.Done():
	case <-time.After(time.Second):
	}
}

// errLeaseLost stops a shard's work when its record changed under it.
var errLeaseLost = errors.New("the shard's lease was lost")

// handle works on the shard a message names, if its record says it is to be done.
func (q *Queue) handle(msg jetstream.Msg) {
	ctx := q.ctx
	var m message
	if err := json.Unmarshal(msg.Data(), &m); err != nil {
		q.log.Warn("undecodable shard message dropped", "err", err)
		msg.Term()
		return
	}
	key := recordKey(m.Job, m.N)
	rec, rev, err := q.read(ctx, key)
	if kvstore.Missing(err) {
		msg.Term() // the job was finalized or deleted
		return
	}
	if err != nil {
		q.log.Warn("read shard record", "job_id", m.Job, "shard", m.N, "err", err)
		msg.NakWithDelay(time.Second)
		return
	}
	now := q.now()
	if rec.State == stateDone || (rec.State == stateRunning && now.Before(rec.Lease)) || rec.Attempt >= q.cfg.MaxAttempts {
		// Done, held by a live claim (if that worker dies the sweeper re-publishes), or
		// out of attempts (the sweeper fails the job): this message has nothing to do.
		msg.Term()
		return
	}
	job, err := q.jobs.Job(ctx, "", m.Job)
	if err != nil && !errors.Is(err, batch.ErrNotFound) {
		q.log.Warn("read shard's job", "job_id", m.Job, "err", err)
		msg.NakWithDelay(time.Second)
		return
	}
	if err != nil || job.Status != batch.StatusProcessing || job.CancelRequested {
		msg.Term() // deleted, finished or cancelled: the sweeper cleans up
		return
	}
	rec.State, rec.Attempt, rec.Worker, rec.Lease = stateRunning, rec.Attempt+1, q.cfg.Node, now.Add(q.cfg.Lease)
	if rev, err = q.write(ctx, key, rec, rev); err != nil {
		msg.Term() // another worker claimed it first
		return
	}
	q.setBusy(1)
	defer q.setBusy(-1)
	log := q.log.With("job_id", m.Job, "shard", m.N, "attempt", rec.Attempt)
	log.Debug("shard claimed")

	wctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	var mu sync.Mutex // guards rev and rec between the renewals and the commit
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(q.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case <-t.C:
			}
			// Not cancelled by the end of the work: a renewal cut off after it was applied
			// would leave rev behind the record, and the commit would be refused.
			mu.Lock()
			rec.Lease = q.now().Add(q.cfg.Lease)
			rctx, cancel := context.WithTimeout(context.WithoutCancel(wctx), q.cfg.Lease)
			nrev, err := q.write(rctx, key, rec, rev)
			cancel()
			if err == nil {
				rev = nrev
			}
			mu.Unlock()
			if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || kvstore.Missing(err) {
				stop(errLeaseLost)
				return
			}
			msg.InProgress()
		}
	}()

	part := partKey(m.Job, m.N, rec.Attempt)
	res, err := q.runShard(wctx, job, rec.Shard, part)
	stop(nil)
	<-renewed
	// The writes that end the claim are bounded but not cancelled by a shutdown.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*q.cfg.Lease)
	defer cancel()
	if err != nil {
		q.objs.Delete(bg, part)
		if errors.Is(context.Cause(wctx), errLeaseLost) {
			log.Warn("shard abandoned: its lease was lost")
			return
		}
		// Give the shard back at once rather than when the lease expires: a shutdown, or
		// a failure that counts as an attempt.
		rec.State, rec.Lease = stateQueued, time.Time{}
		if ctx.Err() == nil {
			log.Warn("shard failed", "err", err)
			rec.LastErr = err.Error()
		}
		if _, werr := q.write(bg, key, rec, rev); werr == nil && ctx.Err() == nil && rec.Attempt >= q.cfg.MaxAttempts {
			if err := q.failJob(bg, m.Job, rec); err != nil {
				log.Warn("fail the job", "err", err)
			}
		}
		msg.Nak()
		return
	}
	rec.State, rec.Lease, rec.Part, rec.Result = stateDone, time.Time{}, part, res
	if _, err := q.write(bg, key, rec, rev); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || kvstore.Missing(err) {
			// A stall past the lease: another worker has claimed the shard since. Its
			// results are the ones that count; these are discarded.
			log.Warn("shard commit refused: the lease was lost; discarding its results", "err", err)
			q.objs.Delete(bg, part)
			msg.Term()
			return
		}
		// Unknown whether it was applied: the part stays (a done record may name it);
		// if it was not, the lease expires and the shard is done again.
		log.Warn("shard commit not confirmed", "err", err)
		return
	}
	msg.DoubleAck(bg)
	log.Info("shard done", "lines", res.Completed+res.Failed)
	// A crash before the next shard is published leaves it to the sweeper.
	if err := q.promote(bg, rec); err != nil {
		log.Warn("publish the job's next shard", "err", err)
	}
	// A crash before the marker leaves the job to the sweeper, which reads the records.
	if _, err := q.kv.RawCreate(bg, doneKey(m.Job, m.N), []byte{'1'}); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		log.Warn("mark shard done", "err", err)
		return
	}
	if done, err := q.allDone(bg, rec); err != nil || !done {
		return
	}
	if err := q.finalize(bg, job); err != nil {
		log.Warn("finalize", "err", err)
	}
}

// allDone reports whether every shard of job, rec's, has its done marker.
func (q *Queue) allDone(ctx context.Context, rec *record) (bool, error) {
	done, err := q.kv.RawCount(ctx, donePrefix(rec.Job))
	return err == nil && done >= rec.Of, err
}

// runShard classifies a shard into its part object, streaming.
func (q *Queue) runShard(ctx context.Context, job *batch.Job, s batch.Shard, part string) (batch.ShardResult, error) {
	pr, pw := io.Pipe()
	var res batch.ShardResult
	var runErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, runErr = q.runner.RunShard(ctx, job, s, pw, nil)
		pw.CloseWithError(cmpErr(runErr, io.EOF))
	}()
	_, putErr := q.objs.Put(ctx, part, pr, -1)
	pr.CloseWithError(cmpErr(putErr, io.ErrClosedPipe))
	<-done
	if runErr != nil {
		return res, runErr
	}
	return res, putErr
}

func cmpErr(err, or error) error {
	if err != nil {
		return err
	}
	return or
}

func (q *Queue) setBusy(d int) {
	q.mu.Lock()
	q.busy += d
	q.mu.Unlock()
}

// records reads the records of one job, in shard order.
func (q *Queue) records(ctx context.Context, job string) ([]*record, error) {
	keys, err := q.kv.RawKeys(ctx, recordPrefix(job))
	if err != nil {
		return nil, err
	}
	slices.Sort(keys)
	out := make([]*record, 0, len(keys))
	for _, k := range keys {
		rec, _, err := q.read(ctx, k)
		if kvstore.Missing(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	return out, nil
}

// sum is the job's progress: the done shards' counters added up.
func sum(recs []*record) (batch.Checkpoint, string) {
	var cp batch.Checkpoint
	firstErr := ""
	for _, r := range recs {
		if r.State != stateDone {
			continue
		}
		cp.Completed += r.Result.Completed
		cp.Failed += r.Result.Failed
		cp.Tokens += r.Result.Tokens
		cp.OutputOffset += r.Result.Bytes
		cp.InputOffset = max(cp.InputOffset, r.Shard.End)
		if firstErr == "" {
			firstErr = r.Result.FirstErr
		}
	}
	cp.Index = cp.Completed + cp.Failed
	return cp, firstErr
}

// finalize publishes a job's results once every shard is done: the one process that
// holds the job's finalize key composes the parts and completes the job. A finalizer
// that dies leaves the key to expire; the sweeper then finalizes again (composing the
// same parts gives the same object, and completing a completed job changes nothing).
func (q *Queue) finalize(ctx context.Context, job *batch.Job) error {
	recs, err := q.records(ctx, job.ID)
	if err != nil {
		return err
	}
	// While the job is being dispatched its records are not all there yet.
	if len(recs) == 0 || len(recs) != recs[0].Of || slices.ContainsFunc(recs, func(r *record) bool { return r.State != stateDone }) {
		return nil
	}
	for i, r := range recs {
		if r.N != i {
			return fmt.Errorf("shards: job %s: shard %d's record is missing", job.ID, i)
		}
	}
	if !q.takeLease(ctx, finalizeKey(job.ID), 2*q.cfg.Lease) {
		return nil
	}
	parts := make([]blob.ComposePart, len(recs))
	for i, r := range recs {
		parts[i] = blob.ComposePart{Key: r.Part, Size: r.Result.Bytes}
	}
	if err := q.objs.Compose(ctx, job.OutputKey, parts); err != nil {
		return fmt.Errorf("shards: compose the results of job %s: %w", job.ID, err)
	}
	cp, firstErr := sum(recs)
	if err := q.runner.Finish(ctx, job.ID, cp, firstErr); err != nil {
		return err
	}
	q.log.Info("job finalized", "job_id", job.ID, "shards", len(recs), "node", q.cfg.Node)
	return q.cleanup(ctx, job.ID)
}

// cleanup removes a finished job's parts, its decompressed shards and its records.
func (q *Queue) cleanup(ctx context.Context, job string) error {
	for _, prefix := range []string{PartsPrefix(job), batch.SplitPrefix(job)} {
		if err := q.objs.Delete(ctx, prefix); err != nil {
			return err
		}
	}
	keys, err := q.kv.RawKeys(ctx, recordPrefix(job))
	if err != nil {
		return err
	}
	done, err := q.kv.RawKeys(ctx, donePrefix(job))
	if err != nil {
		return err
	}
	for _, k := range append(append(keys, done...), finalizeKey(job)) {
		if err := q.kv.RawDelete(ctx, k, 0); err != nil && !kvstore.Missing(err) {
			return err
		}
	}
	return nil
}

// takeLease takes key for d: created if absent, renewed if this node holds it, taken
// over if its holder's lease has expired. It reports whether this node holds it now.
func (q *Queue) takeLease(ctx context.Context, key string, d time.Duration) bool {
	now := q.now()
	v, err := json.Marshal(lease{Node: q.cfg.Node, Until: now.Add(d)})
	if err != nil {
		return false
	}
	old, rev, err := q.kv.RawGet(ctx, key)
	if kvstore.Missing(err) {
		_, err = q.kv.RawCreate(ctx, key, v)
		return err == nil
	}
	if err != nil {
		return false
	}
	var l lease
	if json.Unmarshal(old, &l) == nil && l.Node != q.cfg.Node && now.Before(l.Until) {
		return false
	}
	_, err = q.kv.RawUpdate(ctx, key, v, rev)
	return err == nil
}

func (q *Queue) sweepLoop() {
	t := time.NewTicker(q.cfg.Lease / 2)
	defer t.Stop()
	for tick := 0; ; tick++ {
		select {
		case <-q.ctx.Done():
			return
		case <-t.C:
		}
		if !q.takeLease(q.ctx, sweeperKey, q.cfg.Lease) {
			continue
		}
		// Adoption reads every job in the state store: every other lease is enough for
		// nodes that are lost after three.
		sweep := q.sweepShards
		if tick%4 == 0 {
			sweep = q.Sweep
		}
		if err := sweep(q.ctx); err != nil && q.ctx.Err() == nil {
			q.log.Warn("sweep", "err", err)
		}
	}
}

// Sweep looks at every job that has shard records once, and adopts the jobs of lost
// nodes that were not wholly dispatched; the elected sweeper runs the first every half
// lease, both every other lease.
func (q *Queue) Sweep(ctx context.Context) error {
	if err := q.sweepShards(ctx); err != nil {
		return err
	}
	return q.adopt(ctx)
}

func (q *Queue) sweepShards(ctx context.Context) error {
	keys, err := q.kv.RawKeys(ctx, "s.")
	if err != nil {
		return err
	}
	jobs := map[string]bool{}
	for _, k := range keys {
		if parts := strings.Split(k, "."); len(parts) == 3 {
			if b, err := hex.DecodeString(parts[1]); err == nil {
				jobs[string(b)] = true
			}
		}
	}
	for id := range jobs {
		if err := q.sweepJob(ctx, id); err != nil {
			q.log.Warn("sweep job", "job_id", id, "err", err)
		}
	}
	return nil
}

// errNotAdopted stops an adoption whose job changed since it was listed.
var errNotAdopted = errors.New("the job is no longer its lost node's")

// adopt takes over the processing jobs of lost nodes (no heartbeat for three leases)
// that were not wholly dispatched: the node died while it counted, fitted or created
// the shard records. The job becomes this node's and its runner runs it again: the
// count and the fit are redone or reused, and the dispatch creates only the records
// that are missing. A dispatched job needs no node: the shards' workers and this sweeper
// finish it.
func (q *Queue) adopt(ctx context.Context) error {
	jobs, err := q.jobs.JobsByStatus(ctx, batch.StatusProcessing)
	if err != nil {
		return err
	}
	var procs map[string]Process
	for _, j := range jobs {
		if j.Node == q.cfg.Node {
			continue
		}
		if procs == nil {
			list, err := q.processes(ctx)
			if err != nil {
				return err
			}
			procs = make(map[string]Process, len(list))
			for _, p := range list {
				procs[p.Node] = p
			}
		}
		if p, ok := procs[j.Node]; ok && !p.Lost {
			continue
		}
		if done, err := q.dispatched(ctx, j.ID); err != nil || done {
			if err != nil {
				q.log.Warn("adopt: read the job's shards", "job_id", j.ID, "err", err)
			}
			continue
		}
		lost := j.Node
		_, err := q.jobs.UpdateJob(ctx, j.ID, func(j *batch.Job) error {
			if j.Status != batch.StatusProcessing || j.Node != lost {
				return errNotAdopted
			}
			j.Node = q.cfg.Node
			return nil
		})
		if errors.Is(err, errNotAdopted) || errors.Is(err, batch.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("shards: adopt job %s: %w", j.ID, err)
		}
		q.log.Warn("job adopted from a lost node", "job_id", j.ID, "lost_node", lost, "node", q.cfg.Node)
		q.runner.Run(j.ID)
	}
	return nil
}

// dispatched reports whether every shard record of job id exists.
func (q *Queue) dispatched(ctx context.Context, id string) (bool, error) {
	keys, err := q.kv.RawKeys(ctx, recordPrefix(id))
	if err != nil || len(keys) == 0 {
		return false, err
	}
	rec, _, err := q.read(ctx, keys[0])
	if err != nil {
		return false, err
	}
	return len(keys) >= rec.Of, nil
}

func (q *Queue) sweepJob(ctx context.Context, id string) error {
	job, err := q.jobs.Job(ctx, "", id)
	if errors.Is(err, batch.ErrNotFound) || (err == nil && job.Status != batch.StatusProcessing) {
		return q.cleanup(ctx, id) // finished (a finalizer died after completing it) or deleted
	}
	if err != nil {
		return err
	}
	recs, err := q.records(ctx, id)
	if err != nil {
		return err
	}
	cp, _ := sum(recs)
	if job.CancelRequested {
		if err := q.runner.Fail(ctx, id, cp, batch.ErrCancelled.Error()); err != nil {
			return err
		}
		return q.cleanup(ctx, id)
	}
	now := q.now()
	lost, err := q.messagesLost(ctx, id, recs)
	if err != nil {
		return err
	}
	if err := q.topUp(ctx, recs); err != nil {
		return err
	}
	for _, r := range recs {
		// A queued shard that waits long is normal in a deep queue (a 5 GB job has far more
		// shards than slots): it is re-published only when the stream holds fewer of the
		// job's messages than it has shards waiting or worked on, that is, when a message
		// was lost (a dispatcher that died between the record and its message). Re-publishing
		// on age alone made duplicate messages, and duplicate work, in every long queue.
		stale := (r.State == stateRunning && now.After(r.Lease)) ||
			(r.State == stateQueued && lost && now.After(r.Queued.Add(4*q.cfg.Lease)))
		if !stale {
			continue
		}
		if r.Attempt >= q.cfg.MaxAttempts {
			return q.failJob(ctx, id, r)
		}
		key := recordKey(id, r.N)
		cur, rev, err := q.read(ctx, key)
		if err != nil || cur.State != r.State || cur.Attempt != r.Attempt {
			continue // changed since: look again next time
		}
		cur.State, cur.Lease, cur.Queued, cur.Sent = stateQueued, time.Time{}, now, cur.Sent+1
		if _, err := q.write(ctx, key, cur, rev); err != nil {
			continue
		}
		q.log.Info("shard re-published", "job_id", id, "shard", r.N, "attempts", cur.Attempt, "was", r.State, "worker", r.Worker)
		if err := q.publish(ctx, cur); err != nil {
			return err
		}
	}
	if err := q.runner.Progress(ctx, id, cp); err != nil {
		return err
	}
	return q.finalize(ctx, job)
}

// topUp publishes the shards a done shard's worker should have published (it died
// between its commit and promote), so that a job's window stays full.
func (q *Queue) topUp(ctx context.Context, recs []*record) error {
	byN := make(map[int]*record, len(recs))
	for _, r := range recs {
		byN[r.N] = r
	}
	for _, r := range recs {
		if r.State != stateWaiting || r.N < r.Window {
			continue
		}
		if prev := byN[r.N-r.Window]; prev != nil && prev.State == stateDone {
			if err := q.promote(ctx, prev); err != nil {
				return err
			}
			q.log.Info("shard published for a lost worker", "job_id", r.Job, "shard", r.N)
		}
	}
	return nil
}

// messagesLost says whether the stream holds fewer of job id's messages than it has
// shards queued or running: each of those has a message in the work-queue stream until
// its shard is committed (a running shard's worker keeps its message in progress).
func (q *Queue) messagesLost(ctx context.Context, id string, recs []*record) (bool, error) {
	want := 0
	for _, r := range recs {
		if r.State == stateQueued || r.State == stateRunning {
			want++
		}
	}
	if want == 0 {
		return false, nil
	}
	subject := subjects + seg(id)
	info, err := kvstore.Retry(ctx, func(ctx context.Context) (*jetstream.StreamInfo, error) {
		return q.stream.Info(ctx, jetstream.WithSubjectFilter(subject))
	})
	if err != nil {
		return false, fmt.Errorf("shards: count job %s's messages: %w", id, err)
	}
	return info.State.Subjects[subject] < uint64(want), nil
}

// failJob fails a job whose shard r was tried MaxAttempts times, and cleans up.
func (q *Queue) failJob(ctx context.Context, id string, r *record) error {
	recs, err := q.records(ctx, id)
	if err != nil {
		return err
	}
	cp, _ := sum(recs)
	msg := fmt.Sprintf("shard %d (from line %d) failed %d times", r.N, r.Shard.Line+1, r.Attempt)
	if r.LastErr != "" {
		msg += "; last: " + r.LastErr
	}
	if err := q.runner.Fail(ctx, id, cp, msg); err != nil {
		return err
	}
	return q.cleanup(ctx, id)
}

// Process is one process of the cluster as its heartbeat (a KV key it rewrites every
// half lease) shows it, for GET /v1/cluster.
type Process struct {
	Node    string    `json:"node"`
	Kind    string    `json:"kind"` // serve or worker
	Slots   int       `json:"slots"`
	Busy    int       `json:"busy"` // slots working on a shard
	Seen    time.Time `json:"seen"`
	Lost    bool      `json:"lost"`              // no heartbeat for three leases
	Sweeper bool      `json:"sweeper,omitempty"` // holds the sweeper's lease
}

// View is the work queue as GET /v1/cluster shows it.
type View struct {
	Processes []Process `json:"processes"`
	// Queued is the shard messages waiting for a worker; InFlight those a worker holds.
	Queued   uint64 `json:"queued"`
	InFlight int    `json:"in_flight"`
}

func heartbeatKey(node string) string { return "n." + seg(node) }

// heartbeat writes this process's heartbeat every half lease until Close.
func (q *Queue) heartbeat() {
	t := time.NewTicker(q.cfg.Lease / 2)
	defer t.Stop()
	for {
		q.mu.Lock()
		p := Process{Node: q.cfg.Node, Kind: q.cfg.Kind, Slots: q.cfg.Slots, Busy: q.busy, Seen: q.now().UTC()}
		q.mu.Unlock()
		if v, err := json.Marshal(p); err == nil {
			ctx, cancel := context.WithTimeout(q.ctx, q.cfg.Lease)
			q.kv.RawPut(ctx, heartbeatKey(q.cfg.Node), v)
			cancel()
		}
		select {
		case <-q.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// processes reads the processes' heartbeats, in node order.
func (q *Queue) processes(ctx context.Context) ([]Process, error) {
	keys, err := q.kv.RawKeys(ctx, "n.")
	if err != nil {
		return nil, err
	}
	out := []Process{}
	for _, k := range keys {
		v, _, err := q.kv.RawGet(ctx, k)
		if err != nil {
			continue
		}
		var p Process
		if json.Unmarshal(v, &p) != nil {
			continue
		}
		p.Lost = q.now().Sub(p.Seen) > 3*q.cfg.Lease
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Process) int { return strings.Compare(a.Node, b.Node) })
	return out, nil
}

// View reads the processes' heartbeats and the queue's depth.
func (q *Queue) View(ctx context.Context) (*View, error) {
	procs, err := q.processes(ctx)
	if err != nil {
		return nil, err
	}
	sweeper := ""
	if v, _, err := q.kv.RawGet(ctx, sweeperKey); err == nil {
		var l lease
		if json.Unmarshal(v, &l) == nil && q.now().Before(l.Until) {
			sweeper = l.Node
		}
	}
	for i := range procs {
		procs[i].Sweeper = procs[i].Node == sweeper
	}
	view := &View{Processes: procs}
	info, err := kvstore.Retry(ctx, func(ctx context.Context) (*jetstream.ConsumerInfo, error) { return q.cons.Info(ctx) })
	if err != nil {
		return nil, fmt.Errorf("shards: queue depth: %w", err)
	}
	view.Queued, view.InFlight = info.NumPending, info.NumAckPending
	return view, nil
}
