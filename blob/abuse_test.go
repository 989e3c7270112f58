package blob

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestUploadBadURLSignatureReadsNoBody: an upload URL whose signature fails is refused
// before a byte of the body is read, whatever the body holds.
func TestUploadBadURLSignatureReadsNoBody(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	const key = "jobs/batch_a/input.ndjson"
	u, f, err := env.l.PresignUpload(ctx, key, 1<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	allowed := false
	allow := func(context.Context, string, string) (io.Writer, error) { allowed = true; return nil, nil }
	tampered := strings.Replace(u, "max=1048576", "max=1048577", 1)
	for _, tt := range []struct {
		name, url string
		advance   time.Duration
		want      string
	}{
		{"tampered", tampered, 0, "signature does not match"},
		{"expired", u, time.Minute, "upload URL expired"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env.clock.Advance(tt.advance)
			// A valid policy form in the body does not rescue a URL whose own signature fails.
			body, ct := multipartBody(t, sortedFields(f), []byte(`{"text":"x"}`), true)
			cr := &countingReader{r: body}
			req := httptest.NewRequest(http.MethodPost, tt.url, cr)
			req.Header.Set("Content-Type", ct)
			_, _, err := env.l.ReceiveUpload(ctx, req, allow)
			if !errors.Is(err, ErrAccessDenied) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want ErrAccessDenied: %s", err, tt.want)
			}
			if n := cr.n; n != 0 || allowed {
				t.Fatalf("read %d bytes of the body (allow called: %v) before refusing the URL; want none", n, allowed)
			}
		})
	}
}

// TestUploadFormHeadLimit: whatever precedes the file part (preamble, fields, part
// headers) is refused with a 400 naming the limit once it passes maxFormHead, and no
// more of the body than that is read.
func TestUploadFormHeadLimit(t *testing.T) {
	env := newTestEnv(t)
	ctx := context.Background()
	const key = "jobs/batch_a/input.ndjson"
	_, f, err := env.l.PresignUpload(ctx, key, 1<<20, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	allow := func(context.Context, string, string) (io.Writer, error) { return nil, nil }
	form, ct := multipartBody(t, sortedFields(f), []byte(`{"text":"x"}`), true)
	boundary := ct[strings.Index(ct, "boundary=")+len("boundary="):]
	line := strings.Repeat("p", 1000) + "\r\n"
	for _, tt := range []struct {
		name string
		body string
		want string
	}{
		{"1 MB of preamble lines", strings.Repeat(line, 1<<20/len(line)) + form.String(), fmt.Sprintf("over %d bytes", maxFormHead)},
		{"1 MB of preamble in one line", strings.Repeat("p", 1<<20) + "\r\n" + form.String(), "line too long"},
		{"1 MB field", "--" + boundary + "\r\nContent-Disposition: form-data; name=\"x-amz-meta-a\"\r\n\r\n" + strings.Repeat("v", 1<<20), fmt.Sprintf("over %d bytes", maxFieldBytes)},
		{"many part headers", "--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n" + strings.Repeat("X-A: b\r\n", 1<<17), "part headers are too large"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cr := &countingReader{r: strings.NewReader(tt.body)}
			req := httptest.NewRequest(http.MethodPost, env.srv.URL+uploadPath, cr)
			req.Header.Set("Content-Type", ct)
			_, _, err := env.l.ReceiveUpload(ctx, req, allow)
			if !errors.Is(err, ErrBadUpload) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want ErrBadUpload: %s", err, tt.want)
			}
			if n := cr.n; n > maxFormHead {
				t.Fatalf("read %d bytes of the body before refusing it; want at most %d", n, maxFormHead)
			}
		})
	}
	// Fields up to their limits, then the file, still upload.
	fields := append(sortedFields(f), field{"x-amz-meta-a", strings.Repeat("a", maxFieldBytes)}, field{"x-amz-meta-b", strings.Repeat("b", maxFieldBytes-2000)})
	if r := postForm(t, env.srv.URL+uploadPath, fields, []byte(`{"text":"x"}`), true); r.StatusCode != http.StatusNoContent {
		t.Fatalf("a form with fields within the limits: %d %s", r.StatusCode, r.body)
	}
}

// TestUploadMemoryPerUnauthenticatedConnection holds n connections whose uploads
// nobody has authenticated yet in the middle of their preamble, and measures the live
// heap and stacks per connection: only a small buffer each, not the 1 MiB one an
// authorised upload reads its file through.
func TestUploadMemoryPerUnauthenticatedConnection(t *testing.T) {
	env := newTestEnv(t)
	const n = 64
	reading := make(chan struct{}, n)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &firstReadSignal{ReadCloser: r.Body, c: reading}
		_, _, err := env.l.ReceiveUpload(r.Context(), r, func(context.Context, string, string) (io.Writer, error) { return nil, nil })
		if err != nil {
			http.Error(w, err.Error(), statusOf(err))
		}
	}))
	defer srv.Close()

	before := liveBytes()
	preamble := bytes.Repeat([]byte(strings.Repeat("p", 99)+"\n"), 320) // 32 KB: over the small buffer, under the form-head limit
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range n {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: %d\r\n\r\n", uploadPath, 1<<30)
		if _, err := c.Write(preamble); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		<-reading // every handler has its form reader and is reading the preamble
	}
	perConn := (liveBytes() - before) / n
	t.Logf("%d bytes of heap and stack per unauthenticated upload connection", perConn)
	if perConn > 128<<10 {
		t.Fatalf("each unauthenticated upload connection holds %d bytes; want at most %d", perConn, 128<<10)
	}
	// The connections are still open: none was answered yet.
	conns[0].SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	if _, err := bufio.NewReader(conns[0]).ReadByte(); !isTimeout(err) {
		t.Fatalf("a connection mid-preamble got an answer or was closed: %v", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// liveBytes is the heap in use and the goroutine stacks after a collection.
func liveBytes() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc + m.StackInuse)
}

// firstReadSignal sends on c once the body's first read has returned data.
type firstReadSignal struct {
	io.ReadCloser
	c    chan<- struct{}
	done bool
}

func (f *firstReadSignal) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if n > 0 && !f.done {
		f.done = true
		f.c <- struct{}{}
	}
	return n, err
}
