package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/store"
)

// testConfig is the default configuration with a loopback port, a temp data dir,
// two seeded accounts and fast checkpoints.
func testConfig(t *testing.T, dataDir string) Config {
	t.Helper()
	cfg, err := loadConfig(pflag.NewFlagSet("test", pflag.ContinueOnError), []string{
		"CLASSER_API_KEYS=acme:sk-acme-test-1,beta:sk-beta-test-1",
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = dataDir
	cfg.Pipeline.CheckpointInterval = 20 * time.Millisecond
	cfg.Pipeline.ChunkLines = 64
	return cfg
}

const (
	acmeKey = "sk-acme-test-1"
	betaKey = "sk-beta-test-1"
)

// startMain runs the whole appliance in-process on 127.0.0.1:0; opts may change the
// Main before it runs.
func startMain(t *testing.T, cfg Config, opts ...func(*Main)) *Main {
	t.Helper()
	m := &Main{Config: cfg, Log: newLogger(io.Discard, "error", "text"), Stderr: io.Discard}
	for _, o := range opts {
		o(m)
	}
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	return m
}

// client is a tiny API client over real HTTP.
type client struct {
	t    *testing.T
	base string
	key  string
	http *http.Client
}

// Every answer it gets is checked against the OpenAPI document (openapi_test.go).
func newClient(t *testing.T, base, key string) *client {
	return &client{t: t, base: base, key: key, http: &http.Client{Timeout: 2 * time.Minute, Transport: validating(t, base, nil, nil)}}
}

// do sends a JSON request and decodes a JSON answer into out (if not nil).
func (c *client) do(method, path string, body any, out any) (int, http.Header) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %d %s: decode: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode, resp.Header
}

type createdJob struct {
	JobID        string            `json:"job_id"`
	UploadURL    string            `json:"upload_url"`
	UploadFields map[string]string `json:"upload_fields"`
	InputKey     string            `json:"input_key"`
}

type jobView struct {
	JobID             string  `json:"job_id"`
	Status            string  `json:"status"`
	RequestsTotal     int64   `json:"requests_total"`
	RequestsCompleted int64   `json:"requests_completed"`
	RequestsFailed    int64   `json:"requests_failed"`
	EstimatedTokens   int64   `json:"estimated_tokens"`
	ActualTokens      *int64  `json:"actual_tokens"`
	CreatedAt         string  `json:"created_at"`
	StartedAt         *string `json:"started_at"`
	CompletedAt       *string `json:"completed_at"`
	Error             *string `json:"error"`
}

func (c *client) createJob(spec any) createdJob {
	c.t.Helper()
	var j createdJob
	if code, _ := c.do("POST", "/v1/batch", spec, &j); code != http.StatusCreated {
		c.t.Fatalf("create job: status %d", code)
	}
	return j
}

// upload posts a multipart form to url: the fields in order, then the file part,
// streamed from src so a big input is never held in memory by the test either.
func upload(t *testing.T, url string, fields [][2]string, src io.Reader) (int, string) {
	t.Helper()
	code, body, err := tryUpload(url, fields, src)
	if err != nil {
		t.Fatal(err)
	}
	return code, body
}

// tryUpload is upload that reports a transport error instead of failing the test,
// for tests that kill the server mid-upload.
func tryUpload(url string, fields [][2]string, src io.Reader) (int, string, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		for _, f := range fields {
			if err := mw.WriteField(f[0], f[1]); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		fw, err := mw.CreateFormFile("file", "input.ndjson")
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		if _, err := io.Copy(fw, src); err != nil {
			pw.CloseWithError(err)
			return
		}
		pw.CloseWithError(mw.Close())
	}()
	req, err := http.NewRequest("POST", url, pr)
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err != nil {
		pr.CloseWithError(err)
		return 0, "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), nil
}

// allFields lists every upload_fields entry, key first (as S3 clients do).
func allFields(j createdJob) [][2]string {
	var out [][2]string
	out = append(out, [2]string{"key", j.UploadFields["key"]})
	names := make([]string, 0, len(j.UploadFields))
	for k := range j.UploadFields {
		if k != "key" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	for _, k := range names {
		out = append(out, [2]string{k, j.UploadFields[k]})
	}
	return out
}

// waitStatus polls the job until it reaches one of the wanted statuses or the deadline passes.
func (c *client) waitStatus(id string, deadline time.Duration, want ...string) jobView {
	c.t.Helper()
	end := time.Now().Add(deadline)
	for {
		var v jobView
		if code, _ := c.do("GET", "/v1/batch/"+id, nil, &v); code != http.StatusOK {
			c.t.Fatalf("poll %s: status %d", id, code)
		}
		for _, w := range want {
			if v.Status == w {
				return v
			}
		}
		if time.Now().After(end) {
			c.t.Fatalf("job %s still %s after %s (want %v)", id, v.Status, deadline, want)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
}

// download fetches a job's results through the signed URL.
func (c *client) download(id string) []byte {
	c.t.Helper()
	var res struct {
		DownloadURL string `json:"download_url"`
	}
	if code, _ := c.do("GET", "/v1/batch/"+id+"/results", nil, &res); code != http.StatusOK {
		c.t.Fatalf("results %s: status %d", id, code)
	}
	resp, err := c.http.Get(res.DownloadURL)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("download: status %d", resp.StatusCode)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return b
}

// corpus generates n deterministic, realistic support-ticket lines.
type corpus struct {
	rnd  *rand.Rand
	n, i int
	buf  []byte
	esc  [][][]byte
}

func newCorpus(seed uint64, n int) *corpus {
	return &corpus{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), n: n}
}

var (
	subjects = []string{"The app", "My invoice", "The dashboard", "Checkout", "The mobile app", "Our account", "The export", "Login", "The API", "Billing"}
	problems = []string{
		"keeps crashing when I open the settings page", "shows the wrong amount for last month",
		"is very slow since the last update", "charged my credit card twice", "returns a 500 error on every request",
		"will not let me reset my password", "lists a discount I never received", "times out after thirty seconds",
	}
	asks = []string{
		"How do I upgrade my plan to the enterprise tier?", "Can I get a refund for the duplicate charge?",
		"Do you offer a discount for non-profits?", "Please send me a quote for 50 seats.",
		"Is there a workaround until it is fixed?", "Who can I talk to about pricing?",
	}
	extras = []string{"", " Thanks!", " This is urgent.", " Café déjà vu — naïve résumé.", " \"Quoted\" text\twith a tab.", " 日本語のテキスト。", " Emoji 🚀 ok?"}
)

// esc is s JSON-escaped without the quotes, computed once per fragment.
func esc(s string) []byte {
	b, _ := json.Marshal(s)
	return b[1 : len(b)-1]
}

// Read implements io.Reader, producing NDJSON lines with ids. Fragments are
// escaped once, so generating hundreds of megabytes stays cheap.
func (c *corpus) Read(p []byte) (int, error) {
	if c.esc == nil {
		for _, list := range [][]string{subjects, problems, asks, extras} {
			var e [][]byte
			for _, s := range list {
				e = append(e, esc(s))
			}
			c.esc = append(c.esc, e)
		}
	}
	for len(c.buf) < len(p) && c.i < c.n {
		pick := func(k int) []byte { return c.esc[k][c.rnd.IntN(len(c.esc[k]))] }
		c.buf = append(c.buf, `{"id":"t-`...)
		c.buf = strconv.AppendInt(c.buf, int64(c.i), 10)
		c.buf = append(c.buf, `","text":"`...)
		c.buf = append(c.buf, pick(0)...)
		c.buf = append(c.buf, ' ')
		c.buf = append(c.buf, pick(1)...)
		c.buf = append(c.buf, ". "...)
		c.buf = append(c.buf, pick(2)...)
		c.buf = append(c.buf, pick(3)...)
		c.buf = append(c.buf, `","channel":"email"}`+"\n"...)
		c.i++
	}
	if len(c.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.buf)
	c.buf = c.buf[:copy(c.buf, c.buf[n:])]
	return n, nil
}

// holdInputAt makes the appliance's batch runner read every job input only up to byte at
// and then wait until the job is stopped (a shutdown or a cancel ends the wait with the
// job's context): a job cannot finish in this appliance's life, so stopping it is sure to
// stop it mid-way. held is closed once a read waits at byte at: every line before the
// last chunk boundary before it is then on its way to the results, and a stop records a
// checkpoint after them. The hold is used once: inputs opened after it was reached are
// read whole (a cancelled job restarted in the same appliance finishes). Only an
// in-process appliance can be held (see startMain).
func holdInputAt(at int64) (opt func(*Main), held <-chan struct{}) {
	h := heldInput{at: at, held: make(chan struct{}), once: new(sync.Once)}
	return func(m *Main) {
		m.runnerBlobs = func(b batch.Blobs) batch.Blobs { h.Blobs = b; return h }
	}, h.held
}

type heldInput struct {
	batch.Blobs
	at   int64
	held chan struct{}
	once *sync.Once
}

func (h heldInput) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	rc, err := h.Blobs.Open(ctx, key, offset)
	if err != nil || !strings.HasSuffix(key, "/input.ndjson") {
		return rc, err
	}
	select {
	case <-h.held:
		return rc, nil // the hold was used
	default:
	}
	return &heldReader{ReadCloser: rc, h: h, ctx: ctx, left: h.at - offset}, nil
}

type heldReader struct {
	io.ReadCloser
	h    heldInput
	ctx  context.Context
	left int64
}

func (r *heldReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		r.h.once.Do(func() { close(r.h.held) })
		<-r.ctx.Done()
		return 0, r.ctx.Err()
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.ReadCloser.Read(p)
	r.left -= int64(n)
	return n, err
}

// waitHeld waits until a held input (holdInputAt) is read up to its hold.
func waitHeld(t *testing.T, held <-chan struct{}) {
	t.Helper()
	select {
	case <-held:
	case <-time.After(time.Minute):
		t.Fatal("the job did not read its input up to the hold within a minute")
	}
}

// storedJob reads job id from the database of an appliance that has stopped (or been
// killed) on dataDir: what it left behind, before anything restarts it.
func storedJob(t *testing.T, dataDir, id string) *batch.Job {
	t.Helper()
	db, err := store.Open(filepath.Join(dataDir, "classer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	j, err := db.Job(context.Background(), "", id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
