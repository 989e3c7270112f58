package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/spf13/pflag"
)

// The appliance with storage.kind s3, end to end against a real S3 server
// (.ci/run starts versitygw on loopback). The tests skip only when no
// endpoint is configured.

type s3Env struct {
	endpoint, access, secret, bucket string
}

// newS3Env names a fresh bucket (the appliance creates it) and removes it,
// with everything in it, after the test.
func newS3Env(t *testing.T) s3Env {
	t.Helper()
	ep := os.Getenv("CLASSER_TEST_S3_ENDPOINT")
	if ep == "" {
		t.Skip("S3 tests skipped: CLASSER_TEST_S3_ENDPOINT is not set (point it, with CLASSER_TEST_S3_ACCESS_KEY and " +
			"CLASSER_TEST_S3_SECRET_KEY, at an S3-compatible server such as versitygw or MinIO; bash .ci/run starts one)")
	}
	var b [6]byte
	rand.Read(b[:])
	e := s3Env{
		endpoint: ep,
		access:   os.Getenv("CLASSER_TEST_S3_ACCESS_KEY"),
		secret:   os.Getenv("CLASSER_TEST_S3_SECRET_KEY"),
		bucket:   "classer-e2e-" + hex.EncodeToString(b[:]),
	}
	t.Cleanup(func() {
		mc := e.client(t)
		ctx := context.Background()
		for o := range mc.ListObjects(ctx, e.bucket, minio.ListObjectsOptions{Recursive: true}) {
			if o.Err == nil {
				mc.RemoveObject(ctx, e.bucket, o.Key, minio.RemoveObjectOptions{})
			}
		}
		for u := range mc.ListIncompleteUploads(ctx, e.bucket, "", true) {
			if u.Err == nil {
				mc.RemoveIncompleteUpload(ctx, e.bucket, u.Key)
			}
		}
		mc.RemoveBucket(ctx, e.bucket)
	})
	return e
}

func (e s3Env) client(t *testing.T) *minio.Client {
	t.Helper()
	host, secure := e.endpoint, false
	if u, err := url.Parse(e.endpoint); err == nil && u.Host != "" {
		host, secure = u.Host, u.Scheme == "https"
	}
	mc, err := minio.New(host, &minio.Options{Creds: credentials.NewStaticV4(e.access, e.secret, ""), Secure: secure, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return mc
}

// environ is the appliance's configuration for this bucket, as CLASSER_* variables.
func (e s3Env) environ() []string {
	return []string{
		"CLASSER_STORAGE_KIND=s3",
		"CLASSER_STORAGE_S3_ENDPOINT=" + e.endpoint,
		"CLASSER_STORAGE_S3_ACCESS_KEY=" + e.access,
		"CLASSER_STORAGE_S3_SECRET_KEY=" + e.secret,
		"CLASSER_STORAGE_S3_BUCKET=" + e.bucket,
	}
}

func (e s3Env) config(t *testing.T, dataDir string) Config {
	t.Helper()
	cfg := testConfig(t, dataDir)
	env, err := loadConfig(pflag.NewFlagSet("test", pflag.ContinueOnError), e.environ())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Storage = env.Storage
	return cfg
}

// objects lists the keys in the bucket under prefix.
func (e s3Env) objects(t *testing.T, prefix string) []string {
	t.Helper()
	var keys []string
	for o := range e.client(t).ListObjects(context.Background(), e.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	return keys
}

// uploadSized posts fields and then the file part with a Content-Length, as
// curl -F does: S3 (and so versitygw and MinIO) refuses a POST upload sent
// with chunked transfer encoding, which the streaming upload helper uses. The
// file is streamed from r (size bytes), never held in memory.
func uploadSized(t *testing.T, u string, fields [][2]string, r io.Reader, size int64) (int, string) {
	t.Helper()
	var env bytes.Buffer
	mw := multipart.NewWriter(&env)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	if _, err := mw.CreateFormFile("file", "input.ndjson"); err != nil {
		t.Fatal(err)
	}
	headLen := env.Len()
	mw.Close() // only the closing boundary follows the (empty) file part
	head, tail := env.Bytes()[:headLen], env.Bytes()[headLen:]
	req, err := http.NewRequest(http.MethodPost, u, io.MultiReader(bytes.NewReader(head), io.LimitReader(r, size), bytes.NewReader(tail)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(head)) + size + int64(len(tail))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// runJobS3 creates a job, uploads data straight to the store and starts it.
func runJobS3(t *testing.T, c *client, data []byte) string {
	t.Helper()
	job := c.createJob(seedSpec)
	if code, body := uploadSized(t, job.UploadURL, allFields(job), bytes.NewReader(data), int64(len(data))); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	return job.JobID
}

func TestS3ConfigFromEnv(t *testing.T) {
	cfg, err := loadConfig(pflag.NewFlagSet("t", pflag.ContinueOnError), []string{
		"CLASSER_STORAGE_KIND=s3",
		"CLASSER_STORAGE_S3_ENDPOINT=https://minio.internal:9000",
		"CLASSER_STORAGE_S3_ACCESS_KEY=classer",
		"CLASSER_STORAGE_S3_SECRET_KEY=s3cr3t-value",
		"CLASSER_STORAGE_S3_BUCKET=batch",
		"CLASSER_STORAGE_S3_REGION=eu-west-1",
		"CLASSER_STORAGE_S3_USE_SSL=true",
		"CLASSER_STORAGE_S3_PUBLIC_ENDPOINT=https://s3.example.com",
	})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Storage.S3
	if cfg.Storage.Kind != "s3" || s.Endpoint != "https://minio.internal:9000" || s.AccessKey != "classer" ||
		s.SecretKey != "s3cr3t-value" || s.Bucket != "batch" || s.Region != "eu-west-1" || !s.UseSSL ||
		s.PublicEndpoint != "https://s3.example.com" {
		t.Fatalf("storage config %+v", cfg.Storage)
	}

	_, err = loadConfig(pflag.NewFlagSet("t", pflag.ContinueOnError), []string{
		"CLASSER_STORAGE_KIND=s3", "CLASSER_STORAGE_S3_ENDPOINT=127.0.0.1:9000", "CLASSER_STORAGE_S3_ACCESS_KEY=k",
	})
	if err == nil || !strings.Contains(err.Error(), "storage.s3.secret_key") {
		t.Fatalf("missing secret key: %v", err)
	}
}

// TestS3SeedWalkthrough is the seed's curl script with storage.kind s3: the
// upload goes straight to the store with every upload_fields entry and then
// the file, and the results come from the store's presigned URL.
func TestS3SeedWalkthrough(t *testing.T) {
	e := newS3Env(t)
	m := startMain(t, e.config(t, t.TempDir()))
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)

	if code, _ := c.do("GET", "/readyz", nil, nil); code != http.StatusOK {
		t.Fatalf("readyz: %d", code)
	}
	job := c.createJob(seedSpec)
	if strings.HasPrefix(job.UploadURL, m.URL) {
		t.Fatalf("upload_url %s points at the appliance, not the store", job.UploadURL)
	}
	for _, f := range []string{"key", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
		if job.UploadFields[f] == "" {
			t.Errorf("upload_fields has no %q: %v", f, job.UploadFields)
		}
	}
	if code, body := uploadSized(t, job.UploadURL, allFields(job), strings.NewReader(seedInput), int64(len(seedInput))); code != http.StatusNoContent {
		t.Fatalf("upload to the store: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	v := c.waitStatus(job.JobID, time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsTotal != 8 || v.RequestsCompleted != 4 || v.RequestsFailed != 4 {
		t.Fatalf("job %+v", v)
	}
	if v.EstimatedTokens == 0 || v.ActualTokens == nil {
		t.Fatalf("tokens %+v", v)
	}

	var res struct {
		DownloadURL string `json:"download_url"`
	}
	if code, _ := c.do("GET", "/v1/batch/"+job.JobID+"/results", nil, &res); code != http.StatusOK {
		t.Fatalf("results: %d", code)
	}
	if strings.HasPrefix(res.DownloadURL, m.URL) {
		t.Fatalf("download_url %s points at the appliance, not the store", res.DownloadURL)
	}
	// A plain GET with no credentials, like curl "$URL".
	resp, err := http.Get(res.DownloadURL)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d %s", resp.StatusCode, got.String())
	}
	if want := offlineResults(t, seedSpec, seedInput); !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("results differ from the offline pipeline:\n%s\nwant\n%s", got.Bytes(), want)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Errorf("Content-Disposition %q", cd)
	}

	// The appliance serves no /_blob endpoints on S3.
	if code, _ := c.do("GET", "/_blob/download/"+job.InputKey, nil, nil); code != http.StatusNotFound {
		t.Errorf("/_blob route on S3: %d; want 404", code)
	}
	// DELETE removes the job's objects from the bucket: input, results, the state the
	// classifier fitted on the job's sample, the sample and the input's line index.
	if len(e.objects(t, "jobs/"+job.JobID+"/")) != 5 {
		t.Fatalf("objects before delete: %v", e.objects(t, "jobs/"))
	}
	if code, _ := c.do("DELETE", "/v1/batch/"+job.JobID, nil, nil); code != http.StatusOK {
		t.Fatalf("delete: %d", code)
	}
	if left := e.objects(t, "jobs/"+job.JobID+"/"); len(left) != 0 {
		t.Fatalf("objects left after delete: %v", left)
	}
}

// TestS3BinaryKill9Resumes kills the real binary with SIGKILL mid-job on S3,
// each time after results parts (>= 5 MiB) were uploaded and checkpointed, and
// checks the resumed job's results are byte-identical to an uninterrupted run.
func TestS3BinaryKill9Resumes(t *testing.T) {
	e := newS3Env(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	// About 85 bytes of results per line: 600,000 lines make ~50 MB of
	// results, so several parts are durable (and checkpointed) before a kill.
	lines := envInt("CLASSER_TEST_S3_KILL_LINES", 600_000)
	input, want := reference(t, bin, 31, lines)

	start := func() (*proc, *client) {
		p := startProcAt(t, bin, dir, "127.0.0.1:0", e.environ()...)
		return p, newClient(t, p.url, acmeKey)
	}
	p, c := start()
	id := runJobS3(t, c, input)
	kills := 0
	for kills < 3 {
		// Wait for a new checkpoint: on S3 that means another part is durable.
		v := c.waitCheckpoint(id, 2*time.Minute)
		if v.Status != "processing" {
			break
		}
		kills++
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
		p, c = start()
	}
	if kills == 0 {
		t.Fatal("the job finished before it could be killed once; raise CLASSER_TEST_S3_KILL_LINES")
	}
	v := c.waitStatus(id, 5*time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsCompleted != int64(lines) {
		t.Fatalf("after %d kills: %+v", kills, v)
	}
	if got := c.download(id); !bytes.Equal(got, want) {
		t.Fatalf("results after SIGKILL and restart differ from an uninterrupted run (%d vs %d bytes)", len(got), len(want))
	}
	t.Logf("killed %d times mid-job on S3; results identical (%d bytes)", kills, len(want))
	// Completing the upload left no unfinished upload behind.
	for u := range e.client(t).ListIncompleteUploads(context.Background(), e.bucket, "", true) {
		t.Errorf("unfinished upload left: %s %v", u.Key, u.Err)
	}
}

// TestS3BinaryMemoryStaysFlat uploads a multi-hundred-MB file straight to the
// store and checks the appliance's peak RSS while processing it grows by no
// more than a fixed bound over a 1 MB job's. CLASSER_TEST_BIG_LINES sets the
// size (default 2,000,000 lines, about 300 MB).
func TestS3BinaryMemoryStaysFlat(t *testing.T) {
	e := newS3Env(t)
	bin := buildBinary(t)
	p := startProcAt(t, bin, t.TempDir(), "127.0.0.1:0", e.environ()...)
	c := newClient(t, p.url, acmeKey)

	var smallIn bytes.Buffer
	smallIn.ReadFrom(newCorpus(3, 7_000))
	small := runJobS3(t, c, smallIn.Bytes())
	if v := c.waitStatus(small, time.Minute, "completed", "failed"); v.Status != "completed" {
		t.Fatalf("small job: %+v", v)
	}
	base := p.peakRSS(t)

	lines := envInt("CLASSER_TEST_BIG_LINES", 2_000_000)
	// The file goes to disk first: a POST to S3 needs its length up front.
	f, err := os.Create(filepath.Join(t.TempDir(), "big.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := io.Copy(f, newCorpus(4, lines))
	if err != nil {
		t.Fatal(err)
	}
	f.Seek(0, io.SeekStart)
	start := time.Now()
	job := c.createJob(seedSpec)
	if code, body := uploadSized(t, job.UploadURL, allFields(job), f, n); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, body)
	}
	uploaded := time.Since(start)
	afterUpload := p.peakRSS(t)
	big := job.JobID
	if code, _ := c.do("POST", "/v1/batch/"+big+"/start", nil, nil); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	v := c.waitStatus(big, 15*time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsCompleted != int64(lines) {
		t.Fatalf("big job: %+v", v)
	}
	peak := p.peakRSS(t)
	size, err := e.client(t).StatObject(context.Background(), e.bucket, "jobs/"+big+"/input.ndjson", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d lines (%d MB) uploaded straight to the store in %s, total %s; peak RSS after 1 MB job %d MB, after the upload %d MB, after the big job %d MB",
		lines, size.Size>>20, uploaded.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), base>>20, afterUpload>>20, peak>>20)
	if afterUpload-base > 8<<20 {
		t.Errorf("peak RSS grew by %d MB during an upload the appliance should never see", (afterUpload-base)>>20)
	}
	if growth := peak - base; growth > 64<<20 {
		t.Fatalf("peak RSS grew by %d MB for a bigger input; memory is not flat", growth>>20)
	}
	if peak > 256<<20 {
		t.Fatalf("peak RSS %d MB over 256 MB", peak>>20)
	}
}

// TestS3InputReplacedAfterStart: a presigned POST stays valid until it expires, so a client
// can upload over a job's input on S3 after the job started. The job is pinned to the
// version it counted: after a SIGKILL and a restart it fails with a clear error instead of
// resuming on the other file's bytes.
func TestS3InputReplacedAfterStart(t *testing.T) {
	e := newS3Env(t)
	bin := buildBinary(t)
	dir := t.TempDir()
	var in bytes.Buffer
	in.ReadFrom(newCorpus(41, envInt("CLASSER_TEST_S3_KILL_LINES", 600_000)))
	p := startProcAt(t, bin, dir, "127.0.0.1:0", e.environ()...)
	c := newClient(t, p.url, acmeKey)
	id := runJobS3(t, c, in.Bytes())
	if v := c.waitCheckpoint(id, 2*time.Minute); v.Status != "processing" {
		t.Fatalf("the job finished before the input could be replaced mid-way: %+v", v)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()

	// Another file at least as long, so a resume that ignored the change would read on
	// from its checkpoint in the other file's bytes and complete.
	var otherBuf bytes.Buffer
	otherBuf.ReadFrom(newCorpus(42, envInt("CLASSER_TEST_S3_KILL_LINES", 600_000)+1000))
	other := otherBuf.Bytes()
	if _, err := e.client(t).PutObject(context.Background(), e.bucket, "jobs/"+id+"/input.ndjson",
		bytes.NewReader(other), int64(len(other)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	p = startProcAt(t, bin, dir, "127.0.0.1:0", e.environ()...)
	c = newClient(t, p.url, acmeKey)
	v := c.waitStatus(id, 2*time.Minute, "completed", "failed")
	if v.Status != "failed" || v.Error == nil || !strings.Contains(*v.Error, "replaced") {
		t.Fatalf("after the input was replaced mid-job: %+v; want failed, naming the replaced input", v)
	}
}
