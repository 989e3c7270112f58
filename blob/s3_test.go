package blob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// The S3 tests run against a real S3-compatible server (.ci/run starts
// versitygw on loopback); they skip only when none is configured.
func testS3Config(t *testing.T) S3Config {
	t.Helper()
	ep := os.Getenv("CLASSER_TEST_S3_ENDPOINT")
	if ep == "" {
		t.Skip("S3 tests skipped: CLASSER_TEST_S3_ENDPOINT is not set (point it, with CLASSER_TEST_S3_ACCESS_KEY and " +
			"CLASSER_TEST_S3_SECRET_KEY, at an S3-compatible server such as versitygw or MinIO; bash .ci/run starts one)")
	}
	var b [6]byte
	rand.Read(b[:])
	return S3Config{
		Endpoint:  ep,
		AccessKey: os.Getenv("CLASSER_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("CLASSER_TEST_S3_SECRET_KEY"),
		Bucket:    "classer-test-" + hex.EncodeToString(b[:]),
		Region:    os.Getenv("CLASSER_TEST_S3_REGION"),
	}
}

// newTestS3 returns a store on a fresh bucket that is emptied and removed
// after the test.
func newTestS3(t *testing.T, cfg S3Config) *S3 {
	t.Helper()
	s, err := NewS3(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	t.Cleanup(func() { removeBucket(t, s) })
	return s
}

func removeBucket(t *testing.T, s *S3) {
	ctx := context.Background()
	for o := range s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err == nil {
			s.core.Client.RemoveObject(ctx, s.bucket, o.Key, minio.RemoveObjectOptions{})
		}
	}
	if ups, err := s.uploads(ctx, "", false); err == nil {
		for _, u := range ups {
			s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID)
		}
	}
	if err := s.core.Client.RemoveBucket(ctx, s.bucket); err != nil {
		t.Logf("remove test bucket %s: %v", s.bucket, err)
	}
}

func TestS3Store(t *testing.T) {
	testStore(t, newTestS3(t, testS3Config(t)))
}

func TestNewS3(t *testing.T) {
	cfg := testS3Config(t)
	ctx := context.Background()
	s := newTestS3(t, cfg) // creates the missing bucket
	if ok, err := s.core.BucketExists(ctx, cfg.Bucket); err != nil || !ok {
		t.Fatalf("bucket not created: %v %v", ok, err)
	}
	// An existing bucket is simply used.
	if _, err := NewS3(ctx, cfg, nil); err != nil {
		t.Fatalf("NewS3 on an existing bucket: %v", err)
	}
	// A URL-form endpoint works as well as host:port.
	alt := cfg
	if !strings.Contains(alt.Endpoint, "://") {
		alt.Endpoint = "http://" + alt.Endpoint
	}
	if _, err := NewS3(ctx, alt, nil); err != nil {
		t.Fatalf("NewS3 with a URL endpoint: %v", err)
	}

	bad := cfg
	bad.SecretKey = "wrong-secret-key"
	if _, err := NewS3(ctx, bad, nil); err == nil {
		t.Error("NewS3 with a wrong secret succeeded")
	}
	for _, c := range []S3Config{
		{Endpoint: cfg.Endpoint, AccessKey: "a", SecretKey: "b"},                                     // no bucket
		{Endpoint: cfg.Endpoint, Bucket: "b"},                                                        // no keys
		{Endpoint: "http://host/path", AccessKey: "a", SecretKey: "b", Bucket: "b"},                  // path
		{Endpoint: "ftp://host", AccessKey: "a", SecretKey: "b", Bucket: "b"},                        // scheme
		{Endpoint: cfg.Endpoint, AccessKey: "a", SecretKey: "b", Bucket: "b", PublicEndpoint: "x/y"}, // public
	} {
		if _, err := NewS3(ctx, c, nil); err == nil {
			t.Errorf("NewS3(%+v) succeeded", c)
		}
	}

	// Ping fails once the bucket is gone.
	removeBucket(t, s)
	if err := s.Ping(ctx); err == nil {
		t.Error("Ping succeeded without a bucket")
	}
}

func TestParseEndpoint(t *testing.T) {
	for _, c := range []struct {
		in     string
		ssl    bool
		host   string
		secure bool
		ok     bool
	}{
		{"127.0.0.1:9000", false, "127.0.0.1:9000", false, true},
		{"s3.example.com", true, "s3.example.com", true, true},
		{"http://127.0.0.1:9000", true, "127.0.0.1:9000", false, true},
		{"https://minio.example.com/", false, "minio.example.com", true, true},
		{"", false, "", false, false},
		{"https://a/b", false, "", false, false},
		{"a/b", false, "", false, false},
		{"https://u:p@a", false, "", false, false},
	} {
		host, secure, err := parseEndpoint(c.in, c.ssl)
		if (err == nil) != c.ok || host != c.host || secure != c.secure {
			t.Errorf("parseEndpoint(%q, %v) = %q, %v, %v", c.in, c.ssl, host, secure, err)
		}
	}
}

// TestS3PartialParts checks the part mechanics behind the suite's cases: what
// Sync sends, what a crash leaves in the store, and that a resume only lands
// on a part boundary.
func TestS3PartialParts(t *testing.T) {
	s := newTestS3(t, testS3Config(t))
	ctx := context.Background()
	key := "jobs/j/results.ndjson"

	p, err := s.CreatePartial(ctx, key, 0)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, p, filler('a', 1<<20))
	if d, err := p.Sync(); err != nil || d != 0 {
		t.Fatalf("Sync under MinPartSize = %d, %v; want 0 (nothing sent)", d, err)
	}
	mustWrite(t, p, filler('b', 4<<20))
	if d, err := p.Sync(); err != nil || d != 5<<20 {
		t.Fatalf("Sync at MinPartSize = %d, %v; want %d", d, err, 5<<20)
	}
	// Write sends a 16 MiB part on its own (the buffer's bound); the last
	// MiB is under MinPartSize, so Sync leaves it unsent.
	mustWrite(t, p, filler('c', 17<<20))
	if d, err := p.Sync(); err != nil || d != 21<<20 {
		t.Fatalf("Sync = %d, %v; want %d", d, err, 21<<20)
	}
	p.Close() // a crash: the upload and its parts stay

	ups, err := s.uploads(ctx, key, true)
	if err != nil || len(ups) != 1 {
		t.Fatalf("unfinished uploads = %v, %v; want 1", ups, err)
	}
	parts, err := s.parts(ctx, key, ups[0].UploadID)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int64
	for _, pt := range parts {
		sizes = append(sizes, pt.Size)
	}
	if want := []int64{5 << 20, 16 << 20}; !equalInts(sizes, want) {
		t.Fatalf("part sizes %v, want %v", sizes, want)
	}

	for _, off := range []int64{1, 5<<20 + 1, 22 << 20} {
		if _, err := s.CreatePartial(ctx, key, off); err == nil || errors.Is(err, ErrNotExist) {
			t.Errorf("resume at %d (not a part boundary): %v; want a clear error", off, err)
		} else if !strings.Contains(err.Error(), "no prefix of the uploaded parts") {
			t.Errorf("resume at %d: unclear error %v", off, err)
		}
	}
	// Resuming keeps the upload; offset 0 replaces it.
	p, err = s.CreatePartial(ctx, key, 21<<20)
	if err != nil {
		t.Fatal(err)
	}
	p.Close()
	if ups2, _ := s.uploads(ctx, key, true); len(ups2) != 1 || ups2[0].UploadID != ups[0].UploadID {
		t.Fatalf("resume changed the uploads: %v", ups2)
	}
	p, err = s.CreatePartial(ctx, key, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ups2, _ := s.uploads(ctx, key, true); len(ups2) != 1 || ups2[0].UploadID == ups[0].UploadID {
		t.Fatalf("offset 0 kept the stale upload: %v", ups2)
	}
	writeString(t, p, "fresh\n")
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if ups2, _ := s.uploads(ctx, key, true); len(ups2) != 0 {
		t.Errorf("uploads left after Commit: %v", ups2)
	}
	assertContent(t, s, key, []byte("fresh\n"))

	// Delete aborts unfinished uploads under the prefix.
	p, err = s.CreatePartial(ctx, "jobs/k/results.ndjson", 0)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, p, filler('d', MinPartSize))
	if _, err := p.Sync(); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if err := s.Delete(ctx, "jobs/"); err != nil {
		t.Fatal(err)
	}
	if ups, err := s.uploads(ctx, "jobs/", false); err != nil || len(ups) != 0 {
		t.Errorf("uploads left after Delete: %v, %v", ups, err)
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestS3PresignedPost posts to the store itself, every field then the file
// last, as a browser or curl does.
func TestS3PresignedPost(t *testing.T) {
	s := newTestS3(t, testS3Config(t))
	ctx := context.Background()
	key := "jobs/j/input.ndjson"
	u, fields, err := s.PresignUpload(ctx, key, 100, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"key", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
		if fields[name] == "" {
			t.Errorf("upload field %q missing: %v", name, fields)
		}
	}
	data := []byte(`{"text":"hello"}` + "\n")
	if r := postForm(t, u, sortedFields(fields), data, true); r.StatusCode/100 != 2 {
		t.Fatalf("upload: %d %s", r.StatusCode, r.body)
	}
	assertContent(t, s, key, data)

	// Over the content-length-range: refused, the object stays.
	if r := postForm(t, u, sortedFields(fields), bytes.Repeat([]byte("x"), 101), true); r.StatusCode != http.StatusBadRequest {
		t.Errorf("upload over the limit: %d %s; want 400", r.StatusCode, r.body)
	}
	assertContent(t, s, key, data)

	// Tampering with anything signed is refused.
	for name, value := range map[string]string{
		"key":             "jobs/other/input.ndjson",
		"x-amz-signature": strings.Repeat("0", 64),
		"policy":          fields["policy"][:len(fields["policy"])-4] + "AAAA",
	} {
		f := make(map[string]string)
		for k, v := range fields {
			f[k] = v
		}
		f[name] = value
		if r := postForm(t, u, sortedFields(f), []byte("evil\n"), true); r.StatusCode/100 == 2 {
			t.Errorf("upload with tampered %s succeeded", name)
		}
	}
	assertContent(t, s, key, data)
	if _, err := s.Stat(ctx, "jobs/other/input.ndjson"); !errors.Is(err, ErrNotExist) {
		t.Errorf("a tampered key was stored: %v", err)
	}

	// An expired policy is refused.
	past := newTestS3Clock(t, s, -2*time.Hour)
	u2, f2, err := past.PresignUpload(ctx, key, 100, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if r := postForm(t, u2, sortedFields(f2), []byte("late\n"), true); r.StatusCode/100 == 2 {
		t.Errorf("upload with an expired policy succeeded")
	}
	assertContent(t, s, key, data)
}

func mustRequest(t *testing.T, method, u string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// newTestS3Clock is s with its clock shifted by d.
func newTestS3Clock(t *testing.T, s *S3, d time.Duration) *S3 {
	c := *s
	c.now = func() time.Time { return time.Now().Add(d) }
	return &c
}

// TestS3PublicEndpoint presigns for the address clients use. The host is
// part of a presigned GET's signature, so the URL must carry it; here the
// same server is reached as "localhost" by clients and as 127.0.0.1 by the
// appliance.
func TestS3PublicEndpoint(t *testing.T) {
	cfg := testS3Config(t)
	host, _, err := parseEndpoint(cfg.Endpoint, false)
	if err != nil {
		t.Fatal(err)
	}
	h, port, err := net.SplitHostPort(host)
	if err != nil || h != "127.0.0.1" {
		t.Skipf("needs a 127.0.0.1 endpoint to derive a second name for it, have %q", host)
	}
	cfg.PublicEndpoint = "http://localhost:" + port
	s := newTestS3(t, cfg)
	ctx := context.Background()
	key := "jobs/j/results.ndjson"
	data := []byte("0123456789\n")
	if _, err := s.Put(ctx, key, bytes.NewReader(data), -1); err != nil {
		t.Fatal(err)
	}
	d, err := s.PresignDownload(ctx, key, "batch_x.ndjson", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pu, _ := url.Parse(d)
	if pu.Host != "localhost:"+port {
		t.Fatalf("download URL host %q, want the public endpoint", pu.Host)
	}
	req, _ := http.NewRequest(http.MethodGet, d, nil)
	req.Header.Set("Range", "bytes=2-5")
	r := do(t, req)
	if r.StatusCode != http.StatusPartialContent || r.body != "2345" {
		t.Fatalf("ranged GET = %d %q", r.StatusCode, r.body)
	}
	if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="batch_x.ndjson"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	// The same URL for another host fails: the host really is signed.
	other := strings.Replace(d, "localhost:"+port, "127.0.0.1:"+port, 1)
	if r := do(t, mustRequest(t, http.MethodGet, other)); r.StatusCode != http.StatusForbidden {
		t.Errorf("presigned GET sent to another host = %d; want 403", r.StatusCode)
	}
	up, fields, err := s.PresignUpload(ctx, "jobs/j/input.ndjson", 100, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if pu, _ := url.Parse(up); pu.Host != "localhost:"+port {
		t.Fatalf("upload URL host %q, want the public endpoint", pu.Host)
	}
	if r := postForm(t, up, sortedFields(fields), data, true); r.StatusCode/100 != 2 {
		t.Fatalf("upload via the public endpoint: %d %s", r.StatusCode, r.body)
	}
}

// TestS3OpenVersion: a version names the object as it was; once a client uploads over the
// key, opening that version fails with ErrChanged (also at the very end, where S3 answers a
// HEAD instead of a ranged GET), and the new version reads the new bytes.
func TestS3OpenVersion(t *testing.T) {
	ctx := context.Background()
	s := newTestS3(t, testS3Config(t))
	const key = "jobs/batch_v/input.ndjson"
	put := func(body string) {
		if _, err := s.Put(ctx, key, strings.NewReader(body), 1<<20); err != nil {
			t.Fatal(err)
		}
	}
	put("first version\n")
	v1, err := s.Version(ctx, key)
	if err != nil || v1 == "" {
		t.Fatalf("Version = %q, %v", v1, err)
	}
	rc, err := s.OpenVersion(ctx, key, 6, v1)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "version\n" {
		t.Fatalf("OpenVersion(v1, 6) read %q", got)
	}
	put("the second, longer version\n")
	for _, off := range []int64{0, 6, int64(len("first version\n"))} {
		if _, err := s.OpenVersion(ctx, key, off, v1); !errors.Is(err, ErrChanged) {
			t.Errorf("OpenVersion(stale version, %d) = %v; want ErrChanged", off, err)
		}
	}
	v2, err := s.Version(ctx, key)
	if err != nil || v2 == v1 {
		t.Fatalf("Version after the replace = %q, %v; want a new one", v2, err)
	}
	rc, err = s.OpenVersion(ctx, key, 4, v2)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if string(got) != "second, longer version\n" {
		t.Fatalf("OpenVersion(v2, 4) read %q", got)
	}
	if _, err := s.Version(ctx, "jobs/batch_v/missing"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Version(missing) = %v; want ErrNotExist", err)
	}
}
