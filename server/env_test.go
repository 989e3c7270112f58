package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/classifytest"
	"github.com/classer-ai/classer-batch/store"
)

// The tests run the full router over real HTTP with the real store (bbolt in a temp dir),
// the real local blob storage, the real built-in classifier and the real batch runner.

// testClock is a settable clock shared by the server, the blob signer and the runner, so
// expiry can be tested without waiting.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects log output from concurrent requests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// runnerBlobs adapts blob.Local to batch.Blobs: the two packages name the partial-output
// interface separately (blob.Partial, batch.Output) and Go needs the exact return type.
type runnerBlobs struct{ *blob.Local }

func (b runnerBlobs) CreatePartial(ctx context.Context, key string, offset int64) (batch.Output, error) {
	p, err := b.Local.CreatePartial(ctx, key, offset)
	if err != nil {
		return nil, err
	}
	return p, nil
}

type envOptions struct {
	cfg Config
	// stoppedRunner shuts the real runner down before the server uses it, so a started job
	// stays processing: the deterministic way to test conflicts with a running job.
	stoppedRunner bool
	// models, if set, makes the classifier from the built-in model (configured models).
	models func(*classify.WordClassifier) classify.Classifier
}

type testEnv struct {
	dir    string // holds classer.db and objects/
	url    string
	srv    *Server
	db     *store.DB
	blobs  *blob.Local
	clock  *testClock
	logs   *syncBuffer
	keyA   string // account "acme"
	keyB   string // account "globex"
	client *http.Client
}

func newEnv(t testing.TB, opts envOptions) *testEnv {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()

	db, err := store.Open(filepath.Join(dir, "classer.db"))
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })

	clock := &testClock{t: time.Now().UTC()}
	ts := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + ts.Listener.Addr().String()

	secret := bytes.Repeat([]byte{7}, 32)
	local, err := blob.NewLocal(filepath.Join(dir, "objects"), secret, publicURL, clock.Now)
	if err != nil {
		t.Fatalf("blob.NewLocal: %v", err)
	}
	builtin, err := classifytest.NewBuiltin()
	if err != nil {
		t.Fatalf("classifytest.NewBuiltin: %v", err)
	}
	var clf classify.Classifier = builtin
	if opts.models != nil {
		clf = opts.models(builtin)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	runner := batch.NewRunner(batch.Config{Workers: 2, CheckpointInterval: 50 * time.Millisecond},
		db, runnerBlobs{local}, clf, log, clock.Now)
	if err := runner.Start(ctx); err != nil {
		t.Fatalf("runner.Start: %v", err)
	}
	shutdown := func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := runner.Shutdown(sctx); err != nil {
			t.Errorf("runner.Shutdown: %v", err)
		}
	}
	if opts.stoppedRunner {
		shutdown()
	} else {
		t.Cleanup(shutdown)
	}

	cfg := opts.cfg
	cfg.PublicURL = publicURL
	cfg.Now = clock.Now
	srv := New(cfg, db, local, runner, clf, log)
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)

	keyA, _, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	keyB, _, err := db.CreateKey(ctx, "globex", false)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	return &testEnv{dir: dir, url: ts.URL, srv: srv, db: db, blobs: local, clock: clock, logs: logs,
		keyA: keyA, keyB: keyB, client: ts.Client()}
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

func (r response) str(k string) string {
	s, _ := r.body[k].(string)
	return s
}

func (r response) num(k string) float64 {
	f, _ := r.body[k].(float64)
	return f
}

// call sends body (a JSON string; "" = no body) with the Bearer key (none if "").
func (e *testEnv) call(t *testing.T, method, path, key, body string) response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.do(t, req)
}

func (e *testEnv) do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			t.Fatalf("%s %s: response is not a JSON object: %v\n%s", req.Method, req.URL.Path, err, raw)
		}
	}
	if res.Header.Get("X-Request-ID") == "" {
		t.Errorf("%s %s: response %d has no X-Request-ID", req.Method, req.URL.Path, res.StatusCode)
	}
	return r
}

// wantError asserts the error body shape, and the field when field != "".
func wantError(t *testing.T, r response, status int, code, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	if got := r.str("code"); got != code {
		t.Fatalf("code = %q, want %q; body %s", got, code, r.raw)
	}
	if r.str("error") == "" || r.str("message") == "" {
		t.Fatalf("error body lacks error or message: %s", r.raw)
	}
	if field != "" {
		d, _ := r.body["details"].(map[string]any)
		if got, _ := d["field"].(string); got != field {
			t.Fatalf("details.field = %q, want %q; body %s", got, field, r.raw)
		}
	}
}

// createJob creates a batch job for key and returns the create response.
func (e *testEnv) createJob(t *testing.T, key, spec string) response {
	t.Helper()
	r := e.call(t, http.MethodPost, "/v1/batch", key, spec)
	if r.status != http.StatusCreated {
		t.Fatalf("create job: %d %s", r.status, r.raw)
	}
	return r
}

// upload posts content as the multipart form described by a create response: every
// upload_fields entry, then the file. mutate may change the fields first.
func (e *testEnv) upload(t *testing.T, created response, content string, mutate func(url string, fields map[string]string) string) response {
	t.Helper()
	url := created.str("upload_url")
	fields := map[string]string{}
	for k, v := range created.body["upload_fields"].(map[string]any) {
		fields[k] = v.(string)
	}
	if mutate != nil {
		url = mutate(url, fields)
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	// key first, like S3 clients do; the remaining fields in a stable order.
	if v, ok := fields["key"]; ok {
		mw.WriteField("key", v)
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if k != "key" {
			mw.WriteField(k, fields[k])
		}
	}
	if content != "\x00nofile" {
		fw, err := mw.CreateFormFile("file", "input.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, content)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, url, &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.do(t, req)
}

// waitStatus polls the job until it has one of the statuses, failing after a deadline.
func (e *testEnv) waitStatus(t *testing.T, key, id string, statuses ...string) response {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.call(t, http.MethodGet, "/v1/batch/"+id, key, "")
		if r.status != http.StatusOK {
			t.Fatalf("GET job: %d %s", r.status, r.raw)
		}
		for _, s := range statuses {
			if r.str("status") == s {
				return r
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %q after the deadline, want %v: %s", id, r.str("status"), statuses, r.raw)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
}

// waitUploadAdmitted polls until the server has admitted an upload of job id (the upload
// guard holds it), failing after a deadline.
func (e *testEnv) waitUploadAdmitted(t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		e.srv.uploads.mu.Lock()
		admitted := e.srv.uploads.active[id]
		e.srv.uploads.mu.Unlock()
		if admitted {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the upload of job %s was not admitted before the deadline", id)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not an assertion
	}
}
