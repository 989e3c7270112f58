package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/classify/wordvec"
	"github.com/classer-ai/classer-batch/server"
	"github.com/classer-ai/classer-batch/store"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

// Main is the whole appliance in one value, so a test can run it on 127.0.0.1:0
// exactly as `classer-batch serve` does (benbjohnson/wtf's cmd/wtfd).
type Main struct {
	Config Config
	Log    *slog.Logger
	// Stderr receives the one-time admin key on first start.
	Stderr io.Writer

	// URL is the base URL the server listens on, known once Run returns.
	URL string
	// PprofURL is the profiling endpoint's base URL, "" unless debug.pprof_addr is set.
	PprofURL string

	db        appStore
	cluster   clusterConn // cluster mode only (cluster_serve.go)
	api       *server.Server
	runner    *batch.Runner
	sweeper   *batch.Sweeper
	http      *http.Server
	ln        net.Listener
	served    chan error
	pprof     *http.Server
	pprofDone chan struct{}
	tls       *tlsSetup // nil: plain HTTP

	// runnerBlobs, when a test sets it, wraps the storage the batch runner reads and
	// writes through (to hold a job mid-way, for instance).
	runnerBlobs func(batch.Blobs) batch.Blobs
}

// Run opens the database and storage, resumes unfinished jobs and starts serving.
// It returns once the listener is up; Close stops everything.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	var db appStore
	var err error
	if cfg.Cluster.Enabled {
		db, err = m.openCluster(ctx)
	} else {
		db, err = store.Open(filepath.Join(cfg.DataDir, "classer.db"))
	}
	if err != nil {
		return err
	}
	m.db = db
	if err := m.seedKeys(ctx); err != nil {
		return err
	}
	secret, err := blob.LoadOrCreateSecret(filepath.Join(cfg.DataDir, "url-signing.key"))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	m.ln = ln
	if m.tls, err = m.setupTLS(ln.Addr(), time.Now()); err != nil {
		return err
	}
	m.URL = m.scheme() + "://" + ln.Addr().String()
	publicURL := strings.TrimSuffix(cfg.PublicURL, "/")
	if publicURL == "" {
		publicURL = m.URL
	}
	objects, err := m.openBlobs(ctx, secret, publicURL)
	if err != nil {
		return err
	}
	if l, ok := objects.(*blob.Local); ok {
		// Uploads a crash cut off; the database is locked, so none is in progress.
		if n, err := l.RemoveTemps(ctx); err != nil {
			m.Log.Warn("could not remove the temp files of unfinished writes", "err", err)
		} else if n > 0 {
			m.Log.Info("removed the temp files of unfinished writes", "files", n)
		}
	}
	words, err := wordvec.NewBuiltin()
	if err != nil {
		return fmt.Errorf("load built-in model: %w", err)
	}
	clf := loadModels(cfg, words, m.Log, os.Getenv)
	var runnerBlobs batch.Blobs = batchBlobs{objects}
	if m.runnerBlobs != nil {
		runnerBlobs = m.runnerBlobs(runnerBlobs)
	}
	var runnerJobs batch.JobStore = db
	runnerCfg := batch.Config{
		Workers:            cfg.Workers,
		CheckpointInterval: cfg.Pipeline.CheckpointInterval,
		Limits: batch.Limits{
			MaxTextChars:  cfg.Limits.MaxTextChars,
			ChunkLines:    cfg.Pipeline.ChunkLines,
			MaxInputBytes: cfg.Limits.MaxInputBytes,
		},
	}
	if cfg.Cluster.Enabled {
		runnerJobs = nodeJobs{db, cfg.Cluster.NodeName}
		// A started job is counted and fitted here, then its shards go to the cluster's
		// workers (cluster/shards); the queue is opened below, before any job runs.
		runnerCfg.Limits.ShardBytes = cfg.Cluster.ShardBytes
		runnerCfg.Dispatch = func(ctx context.Context, j *batch.Job) error { return m.cluster.queue.Dispatch(ctx, j) }
	}
	m.runner = batch.NewRunner(runnerCfg, runnerJobs, runnerBlobs, clf, m.Log, time.Now)
	if cfg.Cluster.Enabled {
		if m.cluster.queue, err = openShards(ctx, m.cluster.js, cfg.Cluster, m.runner, db, objects, m.Log, true); err != nil {
			return err
		}
	}
	if err := m.runner.Start(ctx); err != nil {
		return err
	}
	m.sweeper = batch.NewSweeper(db, objects, time.Duration(cfg.Retention.Days)*24*time.Hour, cfg.Retention.Interval, m.Log, time.Now)
	m.sweeper.Start()
	var clusterStat server.ClusterStatus
	if cfg.Cluster.Enabled {
		clusterStat = clusterStatus{node: cfg.Cluster.NodeName, conn: &m.cluster}
	}
	srv := server.New(server.Config{
		Cluster:                 clusterStat,
		PublicURL:               publicURL,
		MaxUploadBytes:          cfg.Limits.MaxUploadBytes,
		MaxActiveJobsPerAccount: cfg.Limits.MaxActiveJobsPerAccount,
		UploadTTL:               cfg.URLs.UploadTTL,
		DownloadTTL:             cfg.URLs.DownloadTTL,
		MaxTextChars:            cfg.Limits.MaxTextChars,
		MaxBodyBytes:            cfg.Limits.MaxBodyBytes,
		CacheEntries:            cfg.Cache.Entries,
		TransferTimeout:         cfg.HTTP.TransferTimeout,
		RateLimitRequests:       cfg.RateLimits.RequestsPerMinute,
		RateLimitTokens:         cfg.RateLimits.TokensPerMinute,
		PricePerMillionTokens:   &cfg.Pricing.PerMillionTokens,
		Version:                 buildVersion(),
	}, db, objects, m.runner, clf, m.Log)
	m.api = srv
	m.http = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: cfg.HTTP.ReadHeaderTimeout,
		ReadTimeout:       cfg.HTTP.ReadTimeout,
		WriteTimeout:      cfg.HTTP.WriteTimeout,
		IdleTimeout:       cfg.HTTP.IdleTimeout,
		MaxHeaderBytes:    cfg.HTTP.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(m.Log.Handler(), slog.LevelWarn),
		TLSConfig:         m.tlsConfig(),
	}
	if err := m.startPprof(); err != nil {
		return err
	}
	m.served = make(chan error, 1)
	go func() {
		if err := m.serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.served <- err
		}
		close(m.served)
	}()
	return nil
}

// Close stops HTTP first, then the pipeline (each job checkpoints), then the database,
// all within http.shutdown_timeout. Requests get at most half of it to finish; the
// connections still open then (a slow or stalled upload, say) are closed, so that they
// cannot use up the time the jobs need to checkpoint.
func (m *Main) Close() error {
	budget := m.Config.HTTP.ShutdownTimeout
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	var errs []error
	m.stopPprof()
	if m.http != nil {
		drain, cancelDrain := context.WithTimeout(ctx, budget/2)
		err := m.http.Shutdown(drain)
		cancelDrain()
		if errors.Is(err, context.DeadlineExceeded) {
			m.Log.Warn("closing the connections still open after half the shutdown timeout", "shutdown_timeout", budget)
			err = m.http.Close()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		<-m.served
	} else if m.ln != nil {
		m.ln.Close()
	}
	if m.api != nil {
		if err := m.api.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if m.sweeper != nil {
		if err := m.sweeper.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	m.cluster.stopWork()
	if m.runner != nil {
		if err := m.runner.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if m.db != nil {
		if err := m.db.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close database: %w", err))
		}
	}
	m.cluster.close()
	return errors.Join(errs...)
}

// seedKeys imports the configured keys and, when the database holds no key at all,
// creates an admin key and prints it once: only its hash is stored.
func (m *Main) seedKeys(ctx context.Context) error {
	for _, kv := range m.Config.Auth.Keys {
		account, secret, err := parseSeedKey(kv)
		if err != nil {
			return err
		}
		if _, err := m.db.ImportKey(ctx, account, secret, account == "admin"); err != nil {
			return fmt.Errorf("seed key for %s: %w", account, err)
		}
	}
	n, err := m.db.CountKeys(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	secret, _, err := m.db.CreateKey(ctx, "admin", true)
	if err != nil {
		return fmt.Errorf("create admin key: %w", err)
	}
	fmt.Fprintf(m.Stderr, "\nNo API key was configured, so an admin key was created. It is shown only this once:\n\n    %s\n\nUse it as: Authorization: Bearer %s\n\n", secret, secret)
	return nil
}

// openBlobs opens the configured object storage. Local serves its own signed
// URLs (the server mounts /_blob/ for it); S3 hands out the store's presigned
// POST policies and GETs, so clients move files straight to and from the store.
func (m *Main) openBlobs(ctx context.Context, secret []byte, publicURL string) (blob.Store, error) {
	cfg := m.Config
	switch cfg.Storage.Kind {
	case "s3":
		c := cfg.Storage.S3
		// Bounded: minio-go retries an unreachable endpoint for a long time.
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := blob.NewS3(ctx, blob.S3Config{
			Endpoint:       c.Endpoint,
			AccessKey:      c.AccessKey,
			SecretKey:      c.SecretKey,
			Bucket:         c.Bucket,
			Region:         c.Region,
			UseSSL:         c.UseSSL,
			PublicEndpoint: c.PublicEndpoint,
		}, time.Now)
		if err != nil {
			return nil, fmt.Errorf("storage.kind s3: %w", err)
		}
		return s, nil
	default:
		return blob.NewLocal(filepath.Join(cfg.DataDir, "objects"), secret, publicURL, time.Now)
	}
}

// batchBlobs adapts a blob.Store to the interface the pipeline declares: the
// partial-results writer types differ only in name.
type batchBlobs struct{ blob.Store }

func (b batchBlobs) CreatePartial(ctx context.Context, key string, offset int64) (batch.Output, error) {
	return b.Store.CreatePartial(ctx, key, offset)
}

// Version and OpenVersion pass through to a store whose objects have versions (S3), so
// the runner pins a job's input to the version it counted. A store without them (local
// disk, where an input cannot change once its job has started) has version "".
func (b batchBlobs) Version(ctx context.Context, key string) (string, error) {
	if v, ok := b.Store.(versionedStore); ok {
		return v.Version(ctx, key)
	}
	return "", nil
}

func (b batchBlobs) OpenVersion(ctx context.Context, key string, offset int64, version string) (io.ReadCloser, error) {
	if v, ok := b.Store.(versionedStore); ok {
		return v.OpenVersion(ctx, key, offset, version)
	}
	return b.Store.Open(ctx, key, offset)
}

// OpenSequential passes through to a store that reads a one-pass stream more cheaply
// (local disk: past the page cache), and is Open for any other.
func (b batchBlobs) OpenSequential(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if s, ok := b.Store.(interface {
		OpenSequential(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
	}); ok {
		return s.OpenSequential(ctx, key, offset)
	}
	return b.Store.Open(ctx, key, offset)
}

// appStore is the state serve needs: the bbolt store.DB on a single node, the JetStream
// KV kvstore.Store in cluster mode.
type appStore interface {
	server.Store
	batch.JobStore
	batch.SweepStore
	ImportKey(ctx context.Context, account, secret string, admin bool) (*store.Key, error)
	CountKeys(ctx context.Context) (int, error)
	Close() error
}

type versionedStore interface {
	Version(ctx context.Context, key string) (string, error)
	OpenVersion(ctx context.Context, key string, offset int64, version string) (io.ReadCloser, error)
}

var (
	_ appStore       = (*store.DB)(nil)
	_ appStore       = (*kvstore.Store)(nil)
	_ batch.Blobs    = batchBlobs{}
	_ versionedStore = (*blob.S3)(nil)
)
