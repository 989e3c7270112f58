package blob

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// testClock is an injectable clock; tests move it instead of sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testEnv is a Local behind a real HTTP server that mounts its endpoints the
// way the appliance's server does.
type testEnv struct {
	l     *Local
	srv   *httptest.Server
	clock *testClock
	dir   string
	// allow is what the server's upload check answers; nil admits everything.
	mu    sync.Mutex
	allow func(ctx context.Context, key string) error
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	env := &testEnv{clock: &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}, dir: t.TempDir()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /_blob/upload", func(w http.ResponseWriter, r *http.Request) {
		_, _, err := env.l.ReceiveUpload(r.Context(), r, func(ctx context.Context, key, _ string) (io.Writer, error) {
			env.mu.Lock()
			allow := env.allow
			env.mu.Unlock()
			if allow == nil {
				return nil, nil
			}
			return nil, allow(ctx, key)
		})
		if err != nil {
			http.Error(w, err.Error(), statusOf(err))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /_blob/download/", func(w http.ResponseWriter, r *http.Request) {
		if err := env.l.ServeDownload(w, r); err != nil {
			http.Error(w, err.Error(), statusOf(err))
		}
	})
	env.srv = httptest.NewServer(mux)
	t.Cleanup(env.srv.Close)
	l, err := NewLocal(filepath.Join(env.dir, "objects"), bytes.Repeat([]byte{7}, SecretLen), env.srv.URL+"/", env.clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	env.l = l
	return env
}

func (env *testEnv) setAllow(f func(ctx context.Context, key string) error) {
	env.mu.Lock()
	defer env.mu.Unlock()
	env.allow = f
}

var errConflict = errors.New("job already started")

// statusOf is the server's error mapping, reduced to what these tests need.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrAccessDenied):
		return http.StatusForbidden
	case errors.Is(err, ErrTooLarge), errors.Is(err, ErrBadUpload):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotExist):
		return http.StatusNotFound
	case errors.Is(err, errConflict):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func TestLocalStore(t *testing.T) {
	testStore(t, newTestEnv(t).l)
}

func TestNewLocal(t *testing.T) {
	secret := bytes.Repeat([]byte{1}, SecretLen)
	tests := []struct {
		name   string
		secret []byte
		url    string
	}{
		{"short secret", secret[:16], "http://127.0.0.1:8080"},
		{"no scheme", secret, "127.0.0.1:8080"},
		{"ftp", secret, "ftp://host"},
		{"query", secret, "http://host/?a=b"},
		{"empty", secret, ""},
	}
	for _, tt := range tests {
		if _, err := NewLocal(t.TempDir(), tt.secret, tt.url, nil); err == nil {
			t.Errorf("%s: NewLocal accepted it", tt.name)
		}
	}
	l, err := NewLocal(t.TempDir(), secret, "https://batch.example.com/", nil)
	if err != nil {
		t.Fatal(err)
	}
	u, _, err := l.PresignUpload(context.Background(), "a", 1, time.Minute)
	if err != nil || !strings.HasPrefix(u, "https://batch.example.com/_blob/upload?") {
		t.Errorf("upload URL %q, %v: want the public URL without a doubled slash", u, err)
	}
}

func TestUpload(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	data := []byte(`{"text":"hello"}` + "\n")
	const key = "jobs/batch_a/input.ndjson"

	presign := func(t *testing.T, key string, max int64) (string, map[string]string) {
		t.Helper()
		u, fields, err := env.l.PresignUpload(ctx, key, max, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return u, fields
	}
	bareURL := env.srv.URL + uploadPath

	tests := []struct {
		name     string
		build    func(t *testing.T) (u string, fields []field, withFile bool)
		data     []byte
		status   int
		contains string // in the error body
	}{
		{
			name: "policy form with every S3 field",
			build: func(t *testing.T) (string, []field, bool) {
				_, f := presign(t, key, 1<<20)
				return bareURL, []field{
					{"key", f["key"]}, {"Content-Type", "application/x-ndjson"}, {"success_action_status", "204"},
					{"x-amz-algorithm", f["x-amz-algorithm"]}, {"x-amz-credential", "local/20260102/local/s3/aws4_request"},
					{"x-amz-date", "20260102T030405Z"}, {"policy", f["policy"]}, {"x-amz-signature", f["x-amz-signature"]},
				}, true
			},
			status: http.StatusNoContent,
		},
		{
			name: "policy form posted to the signed URL",
			build: func(t *testing.T) (string, []field, bool) {
				u, f := presign(t, key, 1<<20)
				return u, sortedFields(f), true
			},
			status: http.StatusNoContent,
		},
		{
			name: "short form key and file",
			build: func(t *testing.T) (string, []field, bool) {
				u, _ := presign(t, key, 1<<20)
				return u, []field{{"key", key}}, true
			},
			status: http.StatusNoContent,
		},
		{
			name: "short form file only",
			build: func(t *testing.T) (string, []field, bool) {
				u, _ := presign(t, key, 1<<20)
				return u, nil, true
			},
			status: http.StatusNoContent,
		},
		{
			name: "tampered policy",
			build: func(t *testing.T) (string, []field, bool) {
				_, f := presign(t, key, 1)
				raw, _ := base64.StdEncoding.DecodeString(f["policy"])
				raw = bytes.Replace(raw, []byte(`["content-length-range",0,1]`), []byte(`["content-length-range",0,1000000]`), 1)
				return bareURL, []field{{"key", key}, {"policy", base64.StdEncoding.EncodeToString(raw)}, {"x-amz-signature", f["x-amz-signature"]}}, true
			},
			status: http.StatusForbidden, contains: "policy signature does not match",
		},
		{
			name: "tampered policy signature",
			build: func(t *testing.T) (string, []field, bool) {
				_, f := presign(t, key, 1<<20)
				return bareURL, []field{{"key", key}, {"policy", f["policy"]}, {"x-amz-signature", flipHex(f["x-amz-signature"])}}, true
			},
			status: http.StatusForbidden, contains: "policy signature does not match",
		},
		{
			name: "tampered URL signature",
			build: func(t *testing.T) (string, []field, bool) {
				u, _ := presign(t, key, 1<<20)
				return setQuery(t, u, "sig", flipHex(query(t, u, "sig"))), []field{{"key", key}}, true
			},
			status: http.StatusForbidden, contains: "signature does not match",
		},
		{
			name: "URL max raised",
			build: func(t *testing.T) (string, []field, bool) {
				u, _ := presign(t, key, 1)
				return setQuery(t, u, "max", "1000000"), nil, true
			},
			status: http.StatusForbidden, contains: "signature does not match",
		},
		{
			name: "foreign key in URL (another job's signature)",
			build: func(t *testing.T) (string, []field, bool) {
				u, _ := presign(t, "jobs/batch_b/input.ndjson", 1<<20)
				return setQuery(t, u, "key", key), nil, true
			},
			status: http.StatusForbidden, contains: "signature does not match",
		},
		{
			name: "policy form key mismatch",
			build: func(t *testing.T) (string, []field, bool) {
				_, f := presign(t, "jobs/batch_b/input.ndjson", 1<<20)
				return bareURL, []field{{"key", key}, {"policy", f["policy"]}, {"x-amz-signature", f["x-amz-signature"]}}, true
			},
			status: http.StatusForbidden, contains: "form key does not match",
		},
		{
			name: "short form key mismatch",
			build: func(t *testing.T) (string, []field, bool) {
				u, _ := presign(t, "jobs/batch_b/input.ndjson", 1<<20)
				return u, []field{{"key", key}}, true
			},
			status: http.StatusForbidden, contains: "form key does not match",
		},
		{
			name: "no signature at all",
			build: func(t *testing.T) (string, []field, bool) {
				return bareURL + "?key=" + url.QueryEscape(key), []field{{"key", key}}, true
			},
			status: http.StatusForbidden, contains: "missing",
		},
		{
			name: "policy without signature",
			build: func(t *testing.T) (string, []field, bool) {
				u, f := presign(t, key, 1<<20)
				return u, []field{{"key", key}, {"policy", f["policy"]}}, true
			},
			status: http.StatusForbidden, contains: "together",
		},
		{
			name: "download signature used for upload",
			build: func(t *testing.T) (string, []field, bool) {
				d, err := env.l.PresignDownload(ctx, key, "", time.Hour)
				if err != nil {
					t.Fatal(err)
				}
				u, _ := presign(t, key, 1<<20)
				return setQuery(t, u, "sig", query(t, d, "sig")), nil, true
			},
			status: http.StatusForbidden, contains: "signature does not match",
		},
		{
			name: "URL signature used as policy signature",
			build: func(t *testing.T) (string, []field, bool) {
				u, f := presign(t, key, 1<<20)
				return bareURL, []field{{"key", key}, {"policy", f["policy"]}, {"x-amz-signature", query(t, u, "sig")}}, true
			},
			status: http.StatusForbidden, contains: "policy signature does not match",
		},
		{
			name: "too large by policy",
			build: func(t *testing.T) (string, []field, bool) {
				_, f := presign(t, key, 4)
				return bareURL, sortedFields(f), true
			},
			status: http.StatusBadRequest, contains: ErrTooLarge.Error(),
		},
		{
			name: "too large by URL",
			build: func(t *testing.T) (string, []field, bool) {
				u, _ := presign(t, key, 4)
				return u, nil, true
			},
			status: http.StatusBadRequest, contains: ErrTooLarge.Error(),
		},
		{
			name: "file part missing",
			build: func(t *testing.T) (string, []field, bool) {
				u, f := presign(t, key, 1<<20)
				return u, sortedFields(f), false
			},
			status: http.StatusBadRequest, contains: "no file part",
		},
		{
			name: "policy form without key",
			build: func(t *testing.T) (string, []field, bool) {
				_, f := presign(t, key, 1<<20)
				return bareURL, []field{{"policy", f["policy"]}, {"x-amz-signature", f["x-amz-signature"]}}, true
			},
			status: http.StatusBadRequest, contains: "missing key",
		},
		{
			name: "duplicate key field",
			build: func(t *testing.T) (string, []field, bool) {
				u, _ := presign(t, key, 1<<20)
				return u, []field{{"key", key}, {"Key", "jobs/batch_b/input.ndjson"}}, true
			},
			status: http.StatusBadRequest, contains: "sent twice",
		},
		{
			name: "oversized field",
			build: func(t *testing.T) (string, []field, bool) {
				u, _ := presign(t, key, 1<<20)
				return u, []field{{"x-amz-meta-note", strings.Repeat("n", maxFieldBytes+1)}}, true
			},
			status: http.StatusBadRequest, contains: fmt.Sprintf("over %d bytes", maxFieldBytes),
		},
		{
			name: "fields over the total limit",
			build: func(t *testing.T) (string, []field, bool) {
				u, _ := presign(t, key, 1<<20)
				var fs []field
				for i := range 20 {
					fs = append(fs, field{"f" + string(rune('a'+i)), strings.Repeat("v", maxFieldBytes)})
				}
				return u, fs, true
			},
			status: http.StatusBadRequest, contains: "in all",
		},
		{
			name: "path traversal key with a valid URL",
			build: func(t *testing.T) (string, []field, bool) {
				u, _ := presign(t, key, 1<<20)
				return u, []field{{"key", "../../etc/passwd"}}, true
			},
			status: http.StatusForbidden, contains: "form key does not match",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := env.l.Delete(ctx, "jobs/"); err != nil {
				t.Fatal(err)
			}
			u, fields, withFile := tt.build(t)
			body := data
			if tt.data != nil {
				body = tt.data
			}
			resp := postForm(t, u, fields, body, withFile)
			if resp.StatusCode != tt.status || !strings.Contains(resp.body, tt.contains) {
				t.Fatalf("got %d %q; want %d containing %q", resp.StatusCode, resp.body, tt.status, tt.contains)
			}
			got, err := env.l.Stat(ctx, key)
			if tt.status/100 == 2 {
				if err != nil || got != int64(len(body)) {
					t.Fatalf("after upload Stat = %d, %v; want %d", got, err, len(body))
				}
				if b := readAll(t, env.l, key, 0); !bytes.Equal(b, body) {
					t.Fatalf("stored %q, want %q", b, body)
				}
			} else if !errors.Is(err, ErrNotExist) {
				t.Fatalf("a refused upload stored something: %v", err)
			}
		})
	}
}

func TestUploadExpired(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	const key = "jobs/batch_a/input.ndjson"
	u, f, err := env.l.PresignUpload(ctx, key, 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// One second before expiry both forms still work.
	env.clock.Advance(time.Minute - time.Second)
	if r := postForm(t, env.srv.URL+uploadPath, sortedFields(f), []byte("x"), true); r.StatusCode != http.StatusNoContent {
		t.Fatalf("policy form before expiry: %d %s", r.StatusCode, r.body)
	}
	if r := postForm(t, u, nil, []byte("x"), true); r.StatusCode != http.StatusNoContent {
		t.Fatalf("short form before expiry: %d %s", r.StatusCode, r.body)
	}
	env.clock.Advance(time.Second)
	if r := postForm(t, env.srv.URL+uploadPath, sortedFields(f), []byte("x"), true); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "policy expired") {
		t.Errorf("policy form after expiry: %d %s; want 403 policy expired", r.StatusCode, r.body)
	}
	if r := postForm(t, u, nil, []byte("x"), true); r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "upload URL expired") {
		t.Errorf("short form after expiry: %d %s; want 403 upload URL expired", r.StatusCode, r.body)
	}
}

func TestUploadAllow(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	const key = "jobs/batch_a/input.ndjson"
	var asked []string
	env.setAllow(func(_ context.Context, k string) error {
		asked = append(asked, k)
		return errConflict
	})
	u, _, err := env.l.PresignUpload(ctx, key, 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	r := postForm(t, u, nil, []byte("x"), true)
	if r.StatusCode != http.StatusConflict {
		t.Fatalf("refused by allow: %d %s; want its error as is (409 here)", r.StatusCode, r.body)
	}
	if len(asked) != 1 || asked[0] != key {
		t.Errorf("allow asked for %q, want [%q]", asked, key)
	}
	if _, err := env.l.Stat(ctx, key); !errors.Is(err, ErrNotExist) {
		t.Errorf("an upload refused by allow was stored: %v", err)
	}
}

// TestUploadNotMultipart and the direct-call tests below drive ReceiveUpload
// without a server where the failure is in the request itself.
func TestUploadMalformed(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	const key = "jobs/batch_a/input.ndjson"
	u, _, err := env.l.PresignUpload(ctx, key, 1<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	allowAll := func(context.Context, string, string) (io.Writer, error) { return nil, nil }

	t.Run("not multipart", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, u, strings.NewReader(`{"text":"x"}`))
		req.Header.Set("Content-Type", "application/json")
		if _, _, err := env.l.ReceiveUpload(ctx, req, allowAll); !errors.Is(err, ErrBadUpload) {
			t.Errorf("got %v; want ErrBadUpload", err)
		}
	})
	t.Run("body breaks off in the file", func(t *testing.T) {
		body, ct := multipartBody(t, nil, bytes.Repeat([]byte("x"), 4096), true)
		cut := body.Bytes()[:body.Len()-200] // no closing boundary
		req := httptest.NewRequest(http.MethodPost, u, bytes.NewReader(cut))
		req.Header.Set("Content-Type", ct)
		if _, _, err := env.l.ReceiveUpload(ctx, req, allowAll); !errors.Is(err, ErrBadUpload) {
			t.Errorf("got %v; want ErrBadUpload", err)
		}
		if _, err := env.l.Stat(ctx, key); !errors.Is(err, ErrNotExist) {
			t.Errorf("a truncated upload was stored: %v", err)
		}
	})
	t.Run("body over the server limit", func(t *testing.T) {
		body, ct := multipartBody(t, nil, bytes.Repeat([]byte("x"), 4096), true)
		req := httptest.NewRequest(http.MethodPost, u, body)
		req.Header.Set("Content-Type", ct)
		req.Body = http.MaxBytesReader(httptest.NewRecorder(), req.Body, 1024)
		_, _, err := env.l.ReceiveUpload(ctx, req, allowAll)
		var mbe *http.MaxBytesError
		if !errors.Is(err, ErrBadUpload) || !errors.As(err, &mbe) {
			t.Errorf("got %v; want ErrBadUpload with *http.MaxBytesError in the chain", err)
		}
	})
}

func TestUploadContentLengthRangeMin(t *testing.T) {
	env := newTestEnv(t)
	const key = "jobs/batch_a/input.ndjson"
	// PresignUpload always signs min 0; a policy with a minimum is signed by
	// hand to prove ReceiveUpload enforces both ends of the range.
	policy, _ := json.Marshal(map[string]any{
		"expiration": env.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"conditions": []any{map[string]string{"bucket": "local"}, []any{"eq", "$key", key}, []any{"content-length-range", 5, 10}},
	})
	p64 := base64.StdEncoding.EncodeToString(policy)
	fields := []field{{"key", key}, {"policy", p64}, {"x-amz-signature", env.l.sign(purposeUploadPolicy, p64)}}
	for _, tt := range []struct {
		data   string
		status int
	}{{"1234", 400}, {"12345", 204}, {"1234567890", 204}, {"12345678901", 400}} {
		r := postForm(t, env.srv.URL+uploadPath, fields, []byte(tt.data), true)
		if r.StatusCode != tt.status {
			t.Errorf("%d-byte file: %d %s; want %d", len(tt.data), r.StatusCode, r.body, tt.status)
		}
	}
}

// TestUploadStreams proves a large upload goes through a fixed buffer: the
// heap allocated while receiving 64 MiB stays far below the file size.
func TestUploadStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 64 MiB")
	}
	env := newTestEnv(t)
	ctx := context.Background()
	const key = "jobs/batch_big/input.ndjson"
	const size = 64 << 20
	u, _, err := env.l.PresignUpload(ctx, key, size, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormFile("file", "big.ndjson")
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		line := bytes.Repeat([]byte("x"), 1023)
		line = append(line, '\n')
		for written := 0; written < size; written += len(line) {
			if _, err := fw.Write(line); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(mw.Close())
	}()
	req := httptest.NewRequest(http.MethodPost, u, pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, n, err := env.l.ReceiveUpload(ctx, req, func(context.Context, string, string) (io.Writer, error) { return nil, nil })
	runtime.ReadMemStats(&after)
	if err != nil || n != size {
		t.Fatalf("ReceiveUpload = %d, %v; want %d", n, err, size)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 16<<20 {
		t.Errorf("receiving %d MiB allocated %d MiB: the upload is being buffered", size>>20, alloc>>20)
	}
}

// countingReader counts what a consumer pulled from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestPutStopsReadingAtLimit: an oversized upload is cut off after max+1
// bytes instead of being written to disk in full and refused afterwards.
func TestPutStopsReadingAtLimit(t *testing.T) {
	env := newTestEnv(t)
	src := &countingReader{r: io.LimitReader(zeros{}, 1<<30)}
	_, err := env.l.Put(context.Background(), "big", src, 10)
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v; want ErrTooLarge", err)
	}
	if src.n != 11 {
		t.Errorf("read %d bytes of a 1 GiB body for a 10-byte limit; want 11", src.n)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestUploadFieldLimitStopsReading: a huge text field is refused after its
// limit, not read into memory first.
func TestUploadFieldLimitStopsReading(t *testing.T) {
	env := newTestEnv(t)
	u, _, err := env.l.PresignUpload(context.Background(), "jobs/a/input.ndjson", 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		fw, err := mw.CreateFormField("key")
		if err == nil {
			_, err = io.Copy(fw, io.LimitReader(zeros{}, 256<<20))
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	body := &countingReader{r: pr}
	req := httptest.NewRequest(http.MethodPost, u, body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	_, _, err = env.l.ReceiveUpload(context.Background(), req, func(context.Context, string, string) (io.Writer, error) { return nil, nil })
	pr.CloseWithError(errors.New("test done")) // unblock the writer
	if !errors.Is(err, ErrBadUpload) {
		t.Fatalf("got %v; want ErrBadUpload", err)
	}
	if body.n > 1<<20 {
		t.Errorf("read %d bytes of a 256 MiB field before refusing it", body.n)
	}
}

func TestDownload(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	const key = "jobs/batch_a/results.ndjson"
	data := []byte(`{"index":0,"label":"a"}` + "\n" + `{"index":1,"label":"b"}` + "\n")
	if _, err := env.l.Put(ctx, key, bytes.NewReader(data), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := env.l.Put(ctx, "jobs/batch_b/results.ndjson", strings.NewReader("secret of b\n"), -1); err != nil {
		t.Fatal(err)
	}
	signed, err := env.l.PresignDownload(ctx, key, "batch_a_results.ndjson", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(signed, env.srv.URL+"/_blob/download/"+key+"?") {
		t.Fatalf("download URL %q", signed)
	}
	get := func(t *testing.T, method, u, rng string) response {
		t.Helper()
		req, err := http.NewRequest(method, u, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		return do(t, req)
	}

	t.Run("full", func(t *testing.T) {
		r := get(t, http.MethodGet, signed, "")
		if r.StatusCode != http.StatusOK || r.body != string(data) {
			t.Fatalf("GET = %d %q", r.StatusCode, r.body)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/x-ndjson" {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="batch_a_results.ndjson"` {
			t.Errorf("Content-Disposition %q", cd)
		}
		if r.Header.Get("Accept-Ranges") != "bytes" {
			t.Errorf("Accept-Ranges %q", r.Header.Get("Accept-Ranges"))
		}
	})
	t.Run("range", func(t *testing.T) {
		r := get(t, http.MethodGet, signed, "bytes=24-35")
		if r.StatusCode != http.StatusPartialContent || r.body != string(data[24:36]) {
			t.Fatalf("Range GET = %d %q; want 206 %q", r.StatusCode, r.body, data[24:36])
		}
		if cr := r.Header.Get("Content-Range"); cr != "bytes 24-35/48" {
			t.Errorf("Content-Range %q", cr)
		}
	})
	t.Run("head", func(t *testing.T) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodHead, signed, nil)
		if err := env.l.ServeDownload(rec, req); err != nil {
			t.Fatal(err)
		}
		if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "48" {
			t.Errorf("HEAD = %d, %d body bytes, Content-Length %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Length"))
		}
	})

	denied := []struct {
		name, url, contains string
	}{
		{"another key with this signature", strings.Replace(signed, "batch_a", "batch_b", 1), "signature does not match"},
		{"tampered filename", setQuery(t, signed, "filename", "evil.html"), "signature does not match"},
		{"tampered expiry", setQuery(t, signed, "expires", "99999999999"), "signature does not match"},
		{"tampered signature", setQuery(t, signed, "sig", flipHex(query(t, signed, "sig"))), "signature does not match"},
		{"no signature", strings.Split(signed, "?")[0], "not signed"},
		{"duplicate sig", signed + "&sig=00", "more than once"},
	}
	for _, tt := range denied {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, http.MethodGet, tt.url, "")
			if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, tt.contains) || strings.Contains(r.body, "secret of b") {
				t.Errorf("GET = %d %q; want 403 containing %q", r.StatusCode, r.body, tt.contains)
			}
		})
	}

	t.Run("upload signature used for download", func(t *testing.T) {
		u, _, err := env.l.PresignUpload(ctx, key, 100, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		forged := setQuery(t, signed, "sig", query(t, u, "sig"))
		if r := get(t, http.MethodGet, forged, ""); r.StatusCode != http.StatusForbidden {
			t.Errorf("GET = %d %q; want 403", r.StatusCode, r.body)
		}
	})
	t.Run("missing object", func(t *testing.T) {
		u, err := env.l.PresignDownload(ctx, "jobs/batch_c/results.ndjson", "", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if query(t, u, "filename") != "results.ndjson" {
			t.Errorf("default filename %q, want the key's last segment", query(t, u, "filename"))
		}
		if r := get(t, http.MethodGet, u, ""); r.StatusCode != http.StatusNotFound {
			t.Errorf("GET = %d %q; want 404", r.StatusCode, r.body)
		}
	})
	t.Run("expired", func(t *testing.T) {
		env.clock.Advance(time.Hour)
		r := get(t, http.MethodGet, signed, "")
		if r.StatusCode != http.StatusForbidden || !strings.Contains(r.body, "download URL expired") {
			t.Errorf("GET = %d %q; want 403 expired", r.StatusCode, r.body)
		}
	})
}

func TestDownloadWritesNothingOnError(t *testing.T) {
	env := newTestEnv(t)
	rec := httptest.NewRecorder()
	err := env.l.ServeDownload(rec, httptest.NewRequest(http.MethodGet, "/_blob/download/jobs/x/results.ndjson", nil))
	if !errors.Is(err, ErrAccessDenied) {
		t.Fatalf("got %v; want ErrAccessDenied", err)
	}
	if rec.Body.Len() != 0 || len(rec.Header()) != 0 || rec.Code != http.StatusOK /* untouched */ {
		t.Errorf("ServeDownload wrote %d %v %q on error", rec.Code, rec.Header(), rec.Body.String())
	}
}

func TestDownloadPathTraversal(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	// A file outside the object directory that a traversal would reach.
	if err := os.WriteFile(filepath.Join(env.dir, "outside.ndjson"), []byte("outside"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{
		"/_blob/download/../outside.ndjson",
		"/_blob/download/%2e%2e/outside.ndjson",
		"/_blob/download/jobs/..%2f..%2foutside.ndjson",
		"/_blob/download//etc/passwd",
		"/_blob/download/",
		"/_blob/upload",
	} {
		// Sign whatever key the path names, as if the secret had signed it: even
		// a valid signature must not open a path outside the store.
		key := strings.TrimPrefix(mustUnescape(t, p), "/_blob/download/")
		q := url.Values{"expires": {"99999999999"}, "filename": {"x.ndjson"}}
		q.Set("sig", env.l.sign(purposeDownload, key, "99999999999", "x.ndjson"))
		req := httptest.NewRequest(http.MethodGet, "http://example.com"+p+"?"+q.Encode(), nil)
		rec := httptest.NewRecorder()
		if err := env.l.ServeDownload(rec, req); !errors.Is(err, ErrAccessDenied) {
			t.Errorf("%s: got %v; want ErrAccessDenied", p, err)
		}
		if strings.Contains(rec.Body.String(), "outside") {
			t.Errorf("%s served a file outside the store", p)
		}
	}
	if _, err := env.l.PresignDownload(ctx, "../outside.ndjson", "", time.Hour); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("PresignDownload of a traversal key: %v", err)
	}
}

func TestPresignDownloadFilename(t *testing.T) {
	env := newTestEnv(t)
	for _, name := range []string{`a"b`, "a\r\nSet-Cookie: x", `a\b`, "a/b", "ü.ndjson", strings.Repeat("a", 256)} {
		if _, err := env.l.PresignDownload(context.Background(), "jobs/a/results.ndjson", name, time.Hour); err == nil {
			t.Errorf("filename %q accepted", name)
		}
	}
	if _, err := env.l.PresignDownload(context.Background(), "jobs/a/results.ndjson", "ok", 0); err == nil {
		t.Error("zero ttl accepted")
	}
}

func TestLoadOrCreateSecret(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "blob.key")
	s1, err := LoadOrCreateSecret(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(s1) != SecretLen || bytes.Equal(s1, make([]byte, SecretLen)) {
		t.Fatalf("secret %x", s1)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	s2, err := LoadOrCreateSecret(p)
	if err != nil || !bytes.Equal(s1, s2) {
		t.Fatalf("second start got %x, %v; want the same secret", s2, err)
	}
	other, err := LoadOrCreateSecret(filepath.Join(dir, "other.key"))
	if err != nil || bytes.Equal(other, s1) {
		t.Errorf("two secrets are equal (%v): not random", err)
	}
	for _, n := range []int{0, SecretLen - 1, SecretLen + 1} {
		bad := filepath.Join(dir, "bad.key")
		if err := os.WriteFile(bad, make([]byte, n), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateSecret(bad); err == nil {
			t.Errorf("a %d-byte secret file was accepted", n)
		}
	}
	if _, err := LoadOrCreateSecret(filepath.Join(dir, "missing-dir", "blob.key")); err == nil {
		t.Error("secret in a missing directory: no error")
	}
}

func TestValidKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"jobs/batch_0123456789abcdef/input.ndjson", true},
		{"a", true},
		{"A-Z_0.9", true},
		{"a.b/c..d", true},
		{strings.Repeat("a", maxKeyLen), true},
		{strings.Repeat("a", maxKeyLen+1), false},
		{"", false},
		{".", false},
		{"..", false},
		{"a/..", false},
		{"../a", false},
		{"a/./b", false},
		{"/a", false},
		{"a/", false},
		{"a//b", false},
		{".a", false},
		{"a/.b.123.tmp", false},
		{"a/b.partial", false},
		{"a\\b", false},
		{"a:b", false},
		{"a%2fb", false},
		{"a\x00", false},
		{"é", false},
	}
	for _, tt := range tests {
		if got := validKey(tt.key); got != tt.want {
			t.Errorf("validKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestDeleteCleansUp(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	if _, err := env.l.Put(ctx, "jobs/a/input.ndjson", strings.NewReader("x"), -1); err != nil {
		t.Fatal(err)
	}
	// A temp file left by a crash mid-Put belongs to its key and goes too.
	tmp := filepath.Join(env.l.dir, "jobs", "a", ".results.ndjson.123.tmp")
	if err := os.WriteFile(tmp, []byte("half"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The temp file counts under the key it was for, not under its own name.
	if err := env.l.Delete(ctx, "jobs/a/results"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temp file of jobs/a/results.ndjson survived Delete(jobs/a/results): %v", err)
	}
	if _, err := env.l.Stat(ctx, "jobs/a/input.ndjson"); err != nil {
		t.Errorf("Delete(jobs/a/results) removed input: %v", err)
	}
	if err := env.l.Delete(ctx, "jobs/a/"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(env.l.dir, "jobs")); !os.IsNotExist(err) {
		t.Errorf("empty job directories left behind: %v", err)
	}
	if err := env.l.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func flipHex(s string) string {
	if s == "" {
		return "00"
	}
	b := []byte(s)
	if b[0] == '0' {
		b[0] = '1'
	} else {
		b[0] = '0'
	}
	return string(b)
}

func query(t *testing.T, u, name string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return pu.Query().Get(name)
}

func setQuery(t *testing.T, u, name, value string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := pu.Query()
	q.Set(name, value)
	pu.RawQuery = q.Encode()
	return pu.String()
}

func mustUnescape(t *testing.T, p string) string {
	t.Helper()
	s, err := url.PathUnescape(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestParsePolicy: only the shape PresignUpload writes is accepted, so a
// policy signed by some other (future or buggy) code cannot widen a grant.
func TestParsePolicy(t *testing.T) {
	const exp = `"expiration":"2026-01-02T04:04:05Z"`
	const bucket, key, rng = `{"bucket":"local"}`, `["eq","$key","jobs/a/input.ndjson"]`, `["content-length-range",0,10]`
	cond := func(cs ...string) string { return `{` + exp + `,"conditions":[` + strings.Join(cs, ",") + `]}` }
	tests := []struct {
		name, policy string
		ok           bool
	}{
		{"as written", cond(bucket, key, rng), true},
		{"any order", cond(rng, key, bucket), true},
		{"no bucket", cond(key, rng), false},
		{"other bucket", cond(`{"bucket":"b"}`, key, rng), false},
		{"no key", cond(bucket, rng), false},
		{"two keys", cond(bucket, key, `["eq","$key","jobs/b/input.ndjson"]`, rng), false},
		{"starts-with key", cond(bucket, `["starts-with","$key","jobs/"]`, rng), false},
		{"traversal key", cond(bucket, `["eq","$key","../x"]`, rng), false},
		{"no range", cond(bucket, key), false},
		{"negative min", cond(bucket, key, `["content-length-range",-1,10]`), false},
		{"max below min", cond(bucket, key, `["content-length-range",10,5]`), false},
		{"two ranges", cond(bucket, key, rng, `["content-length-range",0,99]`), false},
		{"unknown condition", cond(bucket, key, rng, `["eq","$acl","public"]`), false},
		{"unknown field", `{` + exp + `,"x":1,"conditions":[` + bucket + `,` + key + `,` + rng + `]}`, false},
		{"bad expiration", `{"expiration":"tomorrow","conditions":[` + bucket + `,` + key + `,` + rng + `]}`, false},
		{"not json", `nope`, false},
	}
	for _, tt := range tests {
		p, err := parsePolicy([]byte(tt.policy))
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if tt.ok && (p.key != "jobs/a/input.ndjson" || p.min != 0 || p.max != 10) {
			t.Errorf("%s: parsed %+v", tt.name, p)
		}
	}
}

// TestPutObserverStopsTheUpload: an observer (the server's NDJSON sniffer) that refuses
// the file on its first bytes stops the upload there: put returns its error and reads no
// more of a 1 GiB body than the block it refused, and nothing is stored.
func TestPutObserverStopsTheUpload(t *testing.T) {
	env := newTestEnv(t)
	refusal := errors.New("not NDJSON")
	src := &countingReader{r: io.LimitReader(zeros{}, 1<<30)}
	_, err := env.l.put(context.Background(), "observed", src, 0, 1<<30, refusingWriter{refusal})
	if !errors.Is(err, refusal) {
		t.Fatalf("put = %v; want the observer's refusal", err)
	}
	if src.n > 8<<20 {
		t.Errorf("read %d bytes of a 1 GiB body after the observer refused; want at most a block or two", src.n)
	}
	if _, err := env.l.Stat(context.Background(), "observed"); err == nil {
		t.Error("the refused file was stored")
	}
}

type refusingWriter struct{ err error }

func (w refusingWriter) Write([]byte) (int, error) { return 0, w.err }
