package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/classer-ai/classer-batch/classify"
)

// JobStore is the part of the database the runner needs. Each method is one transaction.
type JobStore interface {
	Job(ctx context.Context, account, id string) (*Job, error)
	JobsByStatus(ctx context.Context, status Status) ([]*Job, error)
	UpdateJob(ctx context.Context, id string, fn func(*Job) error) (*Job, error)
}

// Blobs is the part of object storage the runner needs.
type Blobs interface {
	Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
	Stat(ctx context.Context, key string) (int64, error)
	Put(ctx context.Context, key string, r io.Reader, max int64) (int64, error)
	CreatePartial(ctx context.Context, key string, offset int64) (Output, error)
}

// Output is a job's results while they are being written: not visible under the
// final key until Commit. Sync makes durable what the backend can now and returns
// how many bytes from the start are durable (local disk: all; S3: whole parts).
type Output interface {
	io.Writer
	Sync() (durable int64, err error)
	Commit() error
	Close() error
}

// Config tunes the runner.
type Config struct {
	Workers            int           // classification workers shared by all jobs
	CheckpointInterval time.Duration // how often a running job records durable progress
	Limits             Limits
	// FailFastLines: when every one of the first FailFastLines non-blank lines
	// fails, the job fails early naming the first bad line (a wrong file, not a few bad lines).
	FailFastLines int64
	// Dispatch, when set (cluster mode), takes a counted and fitted job instead of the
	// runner's pipeline: it hands the job's shards to the cluster's workers and returns;
	// the job stays processing until the worker that finishes its last shard finalizes
	// it. It must be safe to call again for the same job (a restart resumes the job).
	Dispatch func(ctx context.Context, job *Job) error
}

var errShutdown = errors.New("shutting down")

// Runner runs processing jobs on a shared bounded pool. bbolt is the source of
// truth: Run only wakes it; on Start it resumes every job left processing.
type Runner struct {
	cfg   Config
	jobs  JobStore
	blobs Blobs
	clf   classify.Classifier
	log   *slog.Logger
	now   func() time.Time
	pool  *Pool

	ctx  context.Context
	stop context.CancelCauseFunc

	mu      sync.Mutex
	running map[string]context.CancelCauseFunc
	wg      sync.WaitGroup
	closed  bool

	// The model RunShard compiled last, and its job (shard.go).
	shardMu       sync.Mutex
	shardJob      string
	shardCompiled classify.Model
}

// NewRunner returns a runner; call Start to begin and Shutdown to stop it.
func NewRunner(cfg Config, jobs JobStore, blobs Blobs, clf classify.Classifier, log *slog.Logger, now func() time.Time) *Runner {
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	if cfg.CheckpointInterval <= 0 {
		cfg.CheckpointInterval = 2 * time.Second
	}
	if cfg.FailFastLines <= 0 {
		cfg.FailFastLines = 1000
	}
	if now == nil {
		now = time.Now
	}
	ctx, stop := context.WithCancelCause(context.Background())
	return &Runner{
		cfg: cfg, jobs: jobs, blobs: blobs, clf: clf, log: log, now: now,
		pool: NewPool(cfg.Workers), ctx: ctx, stop: stop,
		running: make(map[string]context.CancelCauseFunc),
	}
}

// Start resumes every job that was processing when the appliance last stopped.
func (r *Runner) Start(ctx context.Context) error {
	jobs, err := r.jobs.JobsByStatus(ctx, StatusProcessing)
	if err != nil {
		return fmt.Errorf("list processing jobs: %w", err)
	}
	for _, j := range jobs {
		r.log.Info("resuming job", "job_id", j.ID, "line", j.Checkpoint.Line)
		r.Run(j.ID)
	}
	return nil
}

// Run processes a job the store has just moved to processing. It returns at once;
// a job already running is left alone.
func (r *Runner) Run(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if _, ok := r.running[id]; ok {
		return
	}
	ctx, cancel := context.WithCancelCause(r.ctx)
	r.running[id] = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() {
			r.mu.Lock()
			delete(r.running, id)
			r.mu.Unlock()
			cancel(nil)
		}()
		if err := r.runJob(ctx, id); err != nil {
			r.log.Error("job stopped", "job_id", id, "err", err)
		}
	}()
}

// Cancel asks a processing job to stop at its next checkpoint; it then becomes
// failed with error "cancelled" and keeps what it wrote. Errors: ErrNotFound,
// a *StateError (ErrConflict) when the job is not processing.
func (r *Runner) Cancel(ctx context.Context, id string) error {
	_, err := r.jobs.UpdateJob(ctx, id, func(j *Job) error {
		if j.Status != StatusProcessing {
			return NewStateError(j, "cancel")
		}
		j.CancelRequested = true
		return nil
	})
	if err != nil {
		return err
	}
	r.mu.Lock()
	cancel, ok := r.running[id]
	r.mu.Unlock()
	if ok {
		cancel(ErrCancelled)
	}
	return nil
}

// Shutdown stops every job at a checkpoint (they stay processing and resume at the
// next Start), then stops the pool. It is idempotent and waits until ctx is done.
func (r *Runner) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.stop(errShutdown)
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		r.pool.Close()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("runner shutdown: %w", ctx.Err())
	}
}

// runJob drives one job from its checkpoint to completed, failed or a clean stop.
func (r *Runner) runJob(ctx context.Context, id string) error {
	// Writes that record the outcome must happen even when ctx is cancelled.
	bg := context.WithoutCancel(ctx)
	job, err := r.jobs.Job(bg, "", id)
	if err != nil {
		return err
	}
	if job.Status != StatusProcessing {
		return nil
	}
	if job.CancelRequested {
		return r.fail(bg, id, job.Checkpoint, ErrCancelled.Error())
	}

	// A crash after the results were published but before the job said so.
	if _, err := r.blobs.Stat(bg, job.OutputKey); err == nil {
		final := job.Checkpoint
		if job.Final != nil {
			final = *job.Final
		} else if final, err = countResults(bg, r.blobs, job.OutputKey, job.Checkpoint); err != nil {
			// No final counters: a restored database older than its objects (countResults).
			return r.fail(bg, id, job.Checkpoint, "count the published results: "+r.publicError(id, err))
		}
		return r.finish(bg, job, final)
	}

	if !job.Counted {
		job, err = r.count(ctx, job)
		if err != nil {
			return r.stopped(bg, ctx, id, job.Checkpoint, err)
		}
	}

	model, err := r.compile(bg, job)
	if err != nil {
		return r.fail(bg, id, job.Checkpoint, "compile the classifier: "+r.publicError(id, err))
	}
	if r.cfg.Dispatch != nil {
		if err := r.cfg.Dispatch(ctx, job); err != nil {
			return r.stopped(bg, ctx, id, job.Checkpoint, fmt.Errorf("dispatch shards: %w", err))
		}
		return nil
	}

	src, err := openInput(ctx, pinned{r.blobs, job.InputVersion}, job.InputKey, job.Checkpoint.InputOffset, r.cfg.Limits.withDefaults())
	if err != nil {
		return r.stopped(bg, ctx, id, job.Checkpoint, fmt.Errorf("open input: %w", err))
	}
	defer src.Close()
	out, err := r.blobs.CreatePartial(bg, job.OutputKey, job.Checkpoint.OutputOffset)
	if err != nil {
		return r.fail(bg, id, job.Checkpoint, "open results: "+r.publicError(id, err))
	}
	defer out.Close()

	// durable is the last position whose results are durable: the only one that
	// may be recorded, since a resume truncates the results to it.
	durable := job.Checkpoint
	settle := func(cp Checkpoint) (Checkpoint, error) {
		n, err := out.Sync()
		if err != nil {
			return durable, fmt.Errorf("sync results: %w", err)
		}
		if n == cp.OutputOffset {
			durable = cp
		}
		return durable, nil
	}

	// How long after the start request the first line goes to the workers (issue 8: under
	// 10 s for 5 GB): the count pass, the fit and opening the files, or next to nothing
	// when the upload was counted on its way in.
	r.log.Info("job classifying", "job_id", id, "from_line", job.Checkpoint.Line,
		"since_start_ms", r.now().Sub(job.StartedAt).Milliseconds())
	p := newPipeline(r.pool, model, job.Spec, r.cfg.Limits)
	last := r.now()
	firstErr := ""
	cp, err := p.run(ctx, src, out, job.Checkpoint, func(pr progress) error {
		if firstErr == "" {
			firstErr = pr.firstErr
		}
		if pr.cp.Completed == 0 && pr.cp.Failed >= r.cfg.FailFastLines {
			return fmt.Errorf("%w: the first %d lines all failed; first: %s", errAllFailed, r.cfg.FailFastLines, firstErr)
		}
		if r.now().Sub(last) < r.cfg.CheckpointInterval {
			return nil
		}
		last = r.now()
		return r.checkpoint(bg, id, settle, pr.cp)
	})
	if err != nil {
		at, serr := settle(cp)
		switch {
		case serr != nil:
			return r.fail(bg, id, at, r.publicError(id, serr))
		case errors.Is(err, errAllFailed):
			return r.fail(bg, id, at, err.Error())
		default:
			return r.stopped(bg, ctx, id, at, err)
		}
	}
	if cp.Completed == 0 && cp.Failed > 0 {
		at, _ := settle(cp)
		return r.fail(bg, id, at, fmt.Sprintf("every line failed; first: %s", firstErr))
	}
	// Record the final counters before publishing, so a crash between the two
	// finds the results under their final key and completes with them.
	if _, err := r.jobs.UpdateJob(bg, id, func(j *Job) error {
		j.Final = &cp
		return nil
	}); err != nil {
		return r.stopped(bg, ctx, id, durable, err)
	}
	if err := out.Commit(); err != nil {
		return r.fail(bg, id, durable, "publish results: "+r.publicError(id, err))
	}
	return r.finish(bg, job, cp)
}

var errAllFailed = errors.New("no line could be classified")

// count makes the pre-pass that fixes requests_total and estimated_tokens
// before any line is processed.
func (r *Runner) count(ctx context.Context, job *Job) (*Job, error) {
	version := ""
	if v, ok := r.blobs.(versioned); ok {
		var err error
		if version, err = v.Version(ctx, job.InputKey); err != nil {
			return job, fmt.Errorf("open input: %w", err)
		}
	}
	src, err := openInput(ctx, pinned{r.blobs, version}, job.InputKey, 0, r.cfg.Limits.withDefaults())
	if err != nil {
		return job, fmt.Errorf("open input: %w", err)
	}
	defer src.Close()
	var in io.Reader = src
	var split *splitter
	if r.cfg.Limits.ShardBytes > 0 {
		compressed, err := r.compressed(ctx, job, version)
		if err != nil {
			return job, fmt.Errorf("open input: %w", err)
		}
		if compressed {
			split = newSplitter(ctx, r.blobs, job.ID, r.cfg.Limits.ShardBytes)
			in = io.TeeReader(src, split)
		}
	}
	t0 := time.Now()
	smp := newSampler()
	c, err := countInput(ctx, in, r.cfg.Limits.withDefaults(), smp)
	if err == nil && split != nil {
		c.split, err = split.finish(c.shards)
	}
	if err != nil {
		if split != nil {
			split.end(err)
		}
		return job, fmt.Errorf("count input: %w", err)
	}
	return r.recordCount(context.WithoutCancel(ctx), job, c, smp, version, "start", time.Since(t0))
}

// recordCount fits the job's model on the sample (when the classifier fits) and records
// the count: the job is counted from then on, and a start will not count it again.
func (r *Runner) recordCount(ctx context.Context, job *Job, c inputCount, smp *sampler, version, at string, counting time.Duration) (*Job, error) {
	t0 := time.Now()
	// The sample and the line index, like the fitted state, are stored before the job says
	// it is counted, so a counted job always has them; a crash in between counts again,
	// identically.
	if err := r.putSample(ctx, job.ID, smp.items()); err != nil {
		return job, err
	}
	if err := r.putMarks(ctx, job.ID, c.marks); err != nil {
		return job, err
	}
	if r.cfg.Limits.ShardBytes > 0 {
		if err := r.putShards(ctx, job, c, version); err != nil {
			return job, err
		}
	}
	fitter, fits := r.clf.(classify.Fitter)
	if at == "upload" && classify.IsRemote(r.clf, job.Spec) {
		// A remote model's fit waits on its server: not while the upload's client waits
		// for its answer. The job fits when it starts (compile).
		fits = false
	}
	if fits {
		state, err := fitter.Fit(job.Spec, smp.texts())
		if err != nil {
			return job, fmt.Errorf("fit: %w", err)
		}
		if _, err := r.blobs.Put(ctx, FitKey(job.ID), bytes.NewReader(state), int64(len(state))); err != nil {
			return job, fmt.Errorf("store fit: %w", err)
		}
	}
	// Wall-clock durations of the work before the first line is classified (issue 8 asks
	// for under 10 s on 5 GB), for operators and bench/e2e.sh.
	r.log.Info("job input counted", "job_id", job.ID, "at", at, "lines", c.lines, "bytes", c.bytes,
		"count_ms", counting.Milliseconds(), "fit_ms", time.Since(t0).Milliseconds())
	return r.jobs.UpdateJob(ctx, job.ID, func(j *Job) error {
		j.Counted = true
		j.Fitted = fits
		j.FitFor = ""
		if fits {
			j.FitFor = SpecHash(job.Spec)
		}
		j.InputVersion = version
		j.InputBytes = c.bytes
		j.RequestsTotal = c.lines
		j.EstimatedTokens = c.tokens
		return nil
	})
}

// CountUpload counts a job's input while it is being uploaded, so that starting the job
// needs no pass over it (a 5 GB input starts at once instead of after reading 5 GB back
// from disk). The caller feeds every byte of the upload, in order, to w, and calls done
// once the upload is stored; done records the count and the fit exactly as the count
// pass would have (same counter, same sample). An upload that fails never calls done.
//
// CountUpload first forgets the count of any earlier upload, so a job whose upload broke
// off or crashed half-way is counted at start as before. A compressed upload is not
// counted here (its lines are only known once decompressed): done leaves it to the start.
// Uploads of one job must not overlap (the server refuses a second one), or one upload's
// count could be recorded for the other's bytes. filename, the client's name for the file,
// is recorded for display by done (CleanFilename), so a refused upload leaves the stored
// file's name. Errors: ErrNotFound; ErrConflict when the job has been started.
func (r *Runner) CountUpload(ctx context.Context, id, filename string) (w io.Writer, done func(context.Context) error, err error) {
	job, err := r.jobs.UpdateJob(ctx, id, func(j *Job) error {
		if !j.StartedAt.IsZero() {
			return fmt.Errorf("%w: job %s has been started", ErrConflict, j.ID)
		}
		j.Counted, j.Fitted, j.InputVersion = false, false, ""
		j.InputBytes, j.RequestsTotal, j.EstimatedTokens = 0, 0, 0
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	ic := newInputCounter(r.cfg.Limits, nil)
	t0 := time.Now()
	done = func(ctx context.Context) error {
		name := CleanFilename(filename)
		if _, err := r.jobs.UpdateJob(ctx, id, func(j *Job) error {
			j.InputFilename = name
			return nil
		}); err != nil {
			return fmt.Errorf("record the file name: %w", err)
		}
		job.InputFilename = name
		if !ic.plain() {
			return nil
		}
		_, err := r.recordCount(ctx, job, ic.finish(), ic.smp, "", "upload", time.Since(t0))
		return err
	}
	return ic, done, nil
}

// MaxFilenameBytes bounds the upload's file name a job records (the common file system
// limit): a longer name is cut, on a character boundary, and ends with "…".
const MaxFilenameBytes = 255

// CleanFilename is the client's name for an uploaded file as a job shows it: control
// characters (newlines, escapes that would restyle a terminal) and invalid UTF-8 dropped,
// and at most MaxFilenameBytes bytes.
func CleanFilename(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	if len(name) <= MaxFilenameBytes {
		return name
	}
	const ell = "…"
	cut := MaxFilenameBytes - len(ell)
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return name[:cut] + ell
}

// compile builds the job's model, with its fitted state when it has one; a state fitted
// for another spec (SetSpec changed it before start) is fitted again first, and so is a
// remote model's job counted at upload (recordCount does not fit those).
func (r *Runner) compile(ctx context.Context, job *Job) (classify.Model, error) {
	return r.compileOnce(ctx, job, false)
}

func (r *Runner) compileOnce(ctx context.Context, job *Job, refitted bool) (classify.Model, error) {
	fitter, fits := r.clf.(classify.Fitter)
	if fits && job.Counted && !job.Fitted {
		if classify.IsRemote(r.clf, job.Spec) {
			// Counted at upload without a fit (recordCount): fit now.
			if err := r.Refit(ctx, job); err != nil {
				return nil, err
			}
			job.Fitted = true
		}
	}
	if !fits || !job.Fitted {
		return r.clf.Compile(job.Spec)
	}
	if job.FitFor != "" && job.FitFor != SpecHash(job.Spec) {
		if err := r.Refit(ctx, job); err != nil {
			return nil, err
		}
	}
	rc, err := r.blobs.Open(ctx, FitKey(job.ID), 0)
	if err != nil {
		return nil, fmt.Errorf("load fit: %w", err)
	}
	defer rc.Close()
	state, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("load fit: %w", err)
	}
	m, err := fitter.CompileFitted(job.Spec, state)
	if errors.Is(err, classify.ErrFitState) && !refitted {
		// Fitted by another version of the classifier (an upgrade while the job was
		// processing): count and fit the job again with this one. The lines it already
		// wrote keep their answers.
		r.log.Warn("job's fit is from another classifier version; fitting it again", "job_id", job.ID, "err", err)
		fresh, cerr := r.count(ctx, job)
		if cerr != nil {
			return nil, cerr
		}
		*job = *fresh
		return r.compileOnce(ctx, job, true)
	}
	return m, err
}

// checkpoint makes what it can of the results durable, records the last durable
// position in one transaction, and reports ErrCancelled when a cancel was asked for.
func (r *Runner) checkpoint(ctx context.Context, id string, settle func(Checkpoint) (Checkpoint, error), cp Checkpoint) error {
	at, err := settle(cp)
	if err != nil {
		return err
	}
	j, err := r.jobs.UpdateJob(ctx, id, func(j *Job) error {
		j.Checkpoint = at
		return nil
	})
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if j.CancelRequested {
		return ErrCancelled
	}
	return nil
}

// stopped records why a run ended early: a cancel or a failure fails the job; a
// shutdown leaves it processing, to resume at the next start.
func (r *Runner) stopped(bg, ctx context.Context, id string, cp Checkpoint, err error) error {
	cause := context.Cause(ctx)
	switch {
	case errors.Is(err, ErrCancelled) || errors.Is(cause, ErrCancelled):
		return r.fail(bg, id, cp, ErrCancelled.Error())
	case errors.Is(cause, errShutdown):
		_, uerr := r.jobs.UpdateJob(bg, id, func(j *Job) error {
			j.Checkpoint = cp
			return nil
		})
		return uerr
	case errors.Is(err, fs.ErrNotExist):
		return r.fail(bg, id, cp, "the input file is missing; upload it again and restart the job")
	case errors.Is(err, ErrInputTooLarge):
		return r.fail(bg, id, cp, fmt.Sprintf("the decompressed input is over %d bytes (limits.max_input_bytes)", r.cfg.Limits.withDefaults().MaxInputBytes))
	default:
		return r.fail(bg, id, cp, r.publicError(id, err))
	}
}

// publicError is err as a job's error, which the job's tenant reads: the paths of the
// server's files (an *fs.PathError or *os.LinkError from local storage) and the object
// storage's URL (a *url.Error) are left out; the whole error goes to the log.
func (r *Runner) publicError(id string, err error) string {
	msg := err.Error()
	hid := false
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg, hid = strings.ReplaceAll(msg, pe.Error(), pe.Op+": "+pe.Err.Error()), true
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		msg, hid = strings.ReplaceAll(msg, le.Error(), le.Op+": "+le.Err.Error()), true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		msg, hid = strings.ReplaceAll(msg, ue.URL, "(the object storage)"), true
	}
	if hid {
		r.log.Error("job storage error", "job_id", id, "err", err)
	}
	return msg
}

func (r *Runner) fail(ctx context.Context, id string, cp Checkpoint, msg string) error {
	_, err := r.jobs.UpdateJob(ctx, id, func(j *Job) error {
		j.Status = StatusFailed
		j.FinishedAt = r.now().UTC()
		j.Error = msg
		j.Checkpoint = cp
		j.CancelRequested = false
		return nil
	})
	r.log.Info("job failed", "job_id", id, "error", msg)
	return err
}

func (r *Runner) finish(ctx context.Context, job *Job, cp Checkpoint) error {
	// Before the job says it is complete, so that a client that sees it complete finds the
	// saved classifier answering with its fit.
	r.keepFit(ctx, job)
	_, err := r.jobs.UpdateJob(ctx, job.ID, func(j *Job) error {
		j.Status = StatusCompleted
		j.Checkpoint = cp
		j.Final = nil
		j.CompletedAt = r.now().UTC()
		j.FinishedAt = j.CompletedAt
		j.Error = ""
		j.CancelRequested = false
		return nil
	})
	if err == nil {
		r.log.Info("job completed", "job_id", job.ID, "lines", cp.Completed+cp.Failed, "failed", cp.Failed, "tokens", cp.Tokens)
	}
	return err
}

// fitKeeper is a job store that keeps a completed job's fit with the saved classifier the
// job was created from (store.DB), so that real-time calls naming it answer as the job did.
type fitKeeper interface {
	KeepClassifierFit(ctx context.Context, job *Job, state []byte) error
}

// keepFit hands a finished job's fit to the job store to keep with its saved classifier.
// The job is complete either way: a fit not kept (a crash just before, a failing disk) only
// leaves real-time calls with the classifier's earlier fit, so it is logged, not returned.
func (r *Runner) keepFit(ctx context.Context, job *Job) {
	keeper, ok := r.jobs.(fitKeeper)
	if !ok || job.Classifier == "" || !job.Fitted {
		return
	}
	err := func() error {
		rc, err := r.blobs.Open(ctx, FitKey(job.ID), 0)
		if err != nil {
			return err
		}
		defer rc.Close()
		state, err := io.ReadAll(rc)
		if err != nil {
			return err
		}
		return keeper.KeepClassifierFit(ctx, job, state)
	}()
	if err != nil {
		r.log.Warn("job's fit not kept with its saved classifier", "job_id", job.ID, "classifier", job.Classifier, "err", err)
	}
}
