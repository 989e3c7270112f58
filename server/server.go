// Package server is the appliance's HTTP API (DESIGN.md §2) on echo v4: every route in one
// table (routes.go), Bearer-key auth, domain errors mapped to HTTP in one place (errors.go),
// request IDs and request logging. main owns the http.Server (timeouts, listener, shutdown);
// this package only provides its Handler.
package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
)

// Defaults applied by New for zero Config fields.
const (
	DefaultMaxUploadBytes          = 5 << 30 // 5 GiB, DESIGN.md §2 item 2
	DefaultMaxActiveJobsPerAccount = 1
	DefaultUploadTTL               = time.Hour
	DefaultDownloadTTL             = time.Hour
	DefaultMaxTextChars            = 100_000 // the batch pipeline's default too
	DefaultMaxBodyBytes            = 1 << 20 // JSON bodies only; uploads have their own limit
	DefaultCacheEntries            = 10000
	DefaultTransferTimeout         = 2 * time.Hour
	DefaultPricePerMillionTokens   = 0.08
	defaultModelEntries            = 256

	// MaxBatchTexts bounds the texts of one real-time /v1/classify/batch or /v1/tag/batch call.
	MaxBatchTexts = 1000
)

// Config tunes the API. Zero fields take the Default* values above.
type Config struct {
	// PublicURL is the base URL clients use to reach the appliance (no trailing slash).
	// The blob backend bakes it into signed URLs; the server keeps it for the web page.
	PublicURL               string
	MaxUploadBytes          int64
	MaxActiveJobsPerAccount int
	UploadTTL, DownloadTTL  time.Duration
	// MaxTextChars bounds one text, counted in runes.
	MaxTextChars int
	// MaxBodyBytes bounds JSON request bodies (413 above it).
	MaxBodyBytes int64
	// CacheEntries bounds the real-time result cache; negative disables it.
	CacheEntries int
	// TransferTimeout replaces the http.Server's read and write timeouts on the
	// upload and download routes, where bodies are gigabytes.
	TransferTimeout time.Duration
	// RateLimitRequests and RateLimitTokens are per-key limits per minute; 0 means
	// unlimited (ratelimit.go). The token limit applies to the real-time endpoints.
	RateLimitRequests int64
	RateLimitTokens   int64
	// PricePerMillionTokens prices usage for charge-back (GET /v1/usage cost); nil means
	// DefaultPricePerMillionTokens, so that an explicit 0 can make usage free.
	PricePerMillionTokens *float64
	// Version is what GET /v1/version reports (and openapi.json's info.version).
	Version VersionInfo
	// Cluster answers GET /v1/cluster; nil on a single node (the route answers 501).
	Cluster ClusterStatus
	// Now is the clock (UTC is applied by the server); nil means time.Now. Injected so tests
	// and the lead's Main can control time (DESIGN.md §1: clocks are injected).
	Now func() time.Time
}

// Store is the part of *store.DB the API needs. Errors: store.ErrInvalidKey from
// Authenticate; batch.ErrNotFound for unknown or foreign jobs; batch.ErrConflict (wrapped,
// with a human message) for state conflicts.
type Store interface {
	Ping(ctx context.Context) error
	Authenticate(ctx context.Context, secret string) (*store.Key, error)
	CreateJob(ctx context.Context, j *batch.Job) error
	Job(ctx context.Context, account, id string) (*batch.Job, error)
	Jobs(ctx context.Context, account, after string, status batch.Status, limit int) ([]*batch.Job, error)
	UpdateJob(ctx context.Context, id string, fn func(*batch.Job) error) (*batch.Job, error)
	StartJob(ctx context.Context, account, id string, maxActive int, now time.Time) (*batch.Job, error)
	DeleteJob(ctx context.Context, account, id string) (*batch.Job, error)
	// AllJobs is every account's jobs, newest first, and how many there are (the admin
	// overview, GET /v1/admin/jobs).
	AllJobs(ctx context.Context, offset, limit int) ([]*batch.Job, int, error)

	// Reviews of a completed job's lines (issue 26). PutReview refuses a job that is not
	// completed (*batch.StateError); DeleteReview of a line without one wraps
	// batch.ErrNotFound. Reviews go with their job.
	PutReview(ctx context.Context, account, id string, r store.Review) error
	DeleteReview(ctx context.Context, account, id string, index int64) error
	Reviews(ctx context.Context, account, id string) ([]store.Review, error)

	// Keys (admin API). Revoke of an unknown id wraps batch.ErrNotFound.
	CreateKey(ctx context.Context, account string, admin bool) (string, *store.Key, error)
	Keys(ctx context.Context) ([]*store.Key, error)
	Revoke(ctx context.Context, id string) (*store.Key, error)

	// Saved classifiers; unknown names and versions wrap batch.ErrNotFound.
	SaveClassifier(ctx context.Context, account, name string, spec classify.Spec) (*store.Classifier, error)
	Classifier(ctx context.Context, account, name string, version int) (*store.Classifier, error)
	Classifiers(ctx context.Context, account string) ([]store.ClassifierSummary, error)
	DeleteClassifier(ctx context.Context, account, name string) (int, error)
	// ClassifierFitState is the fit state a version keeps (nil: none).
	ClassifierFitState(ctx context.Context, account, name string, version int) ([]byte, error)

	// Snapshot is a consistent copy of the whole database, for GET /v1/admin/backup.
	Snapshot(ctx context.Context) (*store.Snapshot, error)

	// Usage and metrics.
	RecordUsages(ctx context.Context, deltas []store.UsageDelta) error
	UsageRange(ctx context.Context, account string, from, to time.Time) ([]store.UsageDay, error)
	JobStatser
}

// Blobs is the object storage the API needs; both the local and the S3 backend satisfy it.
// Stat of a missing object returns an error matching fs.ErrNotExist.
type Blobs interface {
	Ping(ctx context.Context) error
	Stat(ctx context.Context, key string) (size int64, err error)
	Delete(ctx context.Context, prefix string) error
	PresignUpload(ctx context.Context, key string, maxBytes int64, ttl time.Duration) (url string, fields map[string]string, err error)
	PresignDownload(ctx context.Context, key, filename string, ttl time.Duration) (string, error)
	// Copy makes dst a copy of src inside the storage (a rerun's input, issue 26).
	Copy(ctx context.Context, src, dst string) error
}

// localEndpoints is implemented by backends whose signed URLs point back at the appliance
// (blob.Local). S3 URLs point at S3, so that backend has no such endpoints and the
// /_blob routes are simply not registered.
type localEndpoints interface {
	CheckUploadURL(r *http.Request) (key string, err error)
	ReceiveUpload(ctx context.Context, r *http.Request, allow func(ctx context.Context, key, filename string) (io.Writer, error)) (key string, n int64, err error)
	CheckDownloadURL(r *http.Request) error
	ServeDownload(w http.ResponseWriter, r *http.Request) error
}

// Runner runs batch jobs (batch.Runner). Run wakes it for a job that store.StartJob just
// moved to processing; Cancel asks a processing job to stop at its next checkpoint;
// CountUpload counts a job's input on its way through a local upload, so the start needs
// no pass over it. Preview and Lines serve the preview loop (issue 12).
type Runner interface {
	Run(id string)
	Cancel(ctx context.Context, id string) error
	CountUpload(ctx context.Context, id, filename string) (w io.Writer, done func(context.Context) error, err error)
	Preview(ctx context.Context, job *batch.Job, spec classify.Spec) (*classify.Preview, error)
	Lines(ctx context.Context, job *batch.Job, q batch.LinesQuery) (*batch.LinesPage, error)
	// Texts, Answers and CompareAnswers read a completed job's lines whole, streaming,
	// for reviews (issue 26).
	Texts(ctx context.Context, job *batch.Job, want []int64, cut bool) ([]batch.LineView, error)
	Answers(ctx context.Context, job *batch.Job, fn func(*batch.LineView) error) error
	CompareAnswers(ctx context.Context, a, b *batch.Job, fn func(x, y *batch.LineView) error) error
}

// The concrete packages satisfy the interfaces above (DESIGN.md §6).
var (
	_ Store          = (*store.DB)(nil)
	_ Blobs          = (*blob.Local)(nil)
	_ localEndpoints = (*blob.Local)(nil)
	_ Runner         = (*batch.Runner)(nil)
)

// Server is the HTTP API. It is safe for concurrent use.
type Server struct {
	cfg    Config
	store  Store
	blobs  Blobs
	local  localEndpoints // nil when the blob backend serves its own URLs
	runner Runner
	clf    classify.Classifier
	log    *slog.Logger

	results *lru[[32]byte, classify.Result]
	models  *lru[string, classify.Model]
	// audits holds completed jobs' audit samples (reviews.go): a job's answers never change,
	// so its sample is read from its results once, not on every audit queue request.
	audits  *lru[string, []queueItem]
	limits  *limiter
	metrics *metrics
	price   float64 // per million tokens
	usage   *usageBook
	uploads uploadGuard

	openapi []byte // GET /openapi.json (openapi.go)

	echo *echo.Echo

	// authFails counts failed authentications per client address (ratelimit.go).
	authFails *limiter

	started time.Time // for the admin system page's uptime
}

// New builds the API and its router. log may be nil (logs are discarded).
func New(cfg Config, st Store, blobs Blobs, runner Runner, clf classify.Classifier, log *slog.Logger) *Server {
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.MaxActiveJobsPerAccount <= 0 {
		cfg.MaxActiveJobsPerAccount = DefaultMaxActiveJobsPerAccount
	}
	if cfg.UploadTTL <= 0 {
		cfg.UploadTTL = DefaultUploadTTL
	}
	if cfg.DownloadTTL <= 0 {
		cfg.DownloadTTL = DefaultDownloadTTL
	}
	if cfg.MaxTextChars <= 0 {
		cfg.MaxTextChars = DefaultMaxTextChars
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.TransferTimeout <= 0 {
		cfg.TransferTimeout = DefaultTransferTimeout
	}
	if cfg.CacheEntries == 0 {
		cfg.CacheEntries = DefaultCacheEntries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	price := DefaultPricePerMillionTokens
	if cfg.PricePerMillionTokens != nil && *cfg.PricePerMillionTokens >= 0 {
		price = *cfg.PricePerMillionTokens
	}
	s := &Server{
		cfg:     cfg,
		store:   st,
		blobs:   blobs,
		runner:  runner,
		clf:     clf,
		log:     log,
		results: newLRU[[32]byte, classify.Result](max(cfg.CacheEntries, 0)),
		models:  newLRU[string, classify.Model](defaultModelEntries),
		audits:  newLRU[string, []queueItem](auditSampleEntries),
		limits:  newLimiter(cfg.RateLimitRequests, cfg.RateLimitTokens),
		metrics: newMetrics(st),
		price:   price,
		uploads: uploadGuard{active: map[string]bool{}},
		started: cfg.Now().UTC(),
	}
	// A closure, not the method value st.RecordUsages: st may be nil in tests of
	// parts of the API that never book usage.
	s.usage = newUsageBook(func(ctx context.Context, d []store.UsageDelta) error { return s.store.RecordUsages(ctx, d) }, time.Second)
	if l, ok := blobs.(localEndpoints); ok {
		s.local = l
	}
	doc, err := OpenAPIDocument(cfg.PublicURL, cfg.Version.Version)
	if err != nil {
		panic(err) // the embedded document is part of the build: a broken one is a broken build
	}
	s.openapi = doc
	s.authFails = newAuthLimiter()
	s.echo = s.newRouter()
	return s
}

// Close writes the real-time usage still held in memory. Call it after the HTTP
// server has stopped, before the store closes.
func (s *Server) Close(ctx context.Context) error { return s.usage.flush(ctx) }

// Handler returns the API's http.Handler (the echo instance).
func (s *Server) Handler() http.Handler { return s.echo }

func (s *Server) now() time.Time { return s.cfg.Now().UTC() }
