package server

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// rawUpload opens a connection to addr, sends the headers of a multipart POST to path
// announcing a 64 MiB body and then head, the start of the body, and leaves the rest
// unsent. It returns the connection.
func rawUpload(t *testing.T, addr, path, boundary string, head []byte) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: multipart/form-data; boundary=%s\r\nContent-Length: %d\r\n\r\n", path, addr, boundary, 64<<20)
	if _, err := c.Write(head); err != nil {
		t.Fatal(err)
	}
	return c
}

// readAnswer reads the response on c. The deadline only keeps a broken build from
// hanging the test; the server is expected to answer without the rest of the body.
func readAnswer(t *testing.T, c net.Conn) (int, string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer while the body was unsent: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func uploadFields(created response) map[string]string {
	fields := map[string]string{}
	for k, v := range created.body["upload_fields"].(map[string]any) {
		fields[k] = v.(string)
	}
	return fields
}

// formHead is a form's fields and the first bytes of its file part, with boundary XyZ.
func formHead(t *testing.T, fields map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary("XyZ"); err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		mw.WriteField(k, fields[k])
	}
	fw, _ := mw.CreateFormFile("file", "input.ndjson")
	io.WriteString(fw, jobInput)
	return buf.Bytes()
}

// TestBlobUploadRefusedBeforeBody: a signed upload URL that is tampered with, whose job
// is gone or has started, is answered 403/409 before the body is read: the answer
// arrives while most of the announced body is still unsent.
func TestBlobUploadRefusedBeforeBody(t *testing.T) {
	e := newEnv(t, envOptions{stoppedRunner: true})
	addr := strings.TrimPrefix(e.url, "http://")
	pathOf := func(u string) string {
		p, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		return p.RequestURI()
	}

	pending := e.createJob(t, e.keyA, `{`+spec3+`}`)
	tampered := strings.Replace(pathOf(pending.str("upload_url")), "sig=", "sig=0", 1)

	deleted := e.createJob(t, e.keyA, `{`+spec3+`}`)
	if r := e.call(t, "DELETE", "/v1/batch/"+deleted.str("job_id"), e.keyA, ""); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}

	started := e.createJob(t, e.keyA, `{`+spec3+`}`)
	if r := e.upload(t, started, jobInput, nil); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	if r := e.call(t, "POST", "/v1/batch/"+started.str("job_id")+"/start", e.keyA, ""); r.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}

	for _, tt := range []struct {
		name    string
		path    string
		fields  map[string]string
		status  int
		message string
	}{
		{"tampered signature", tampered, uploadFields(pending), 403, "signature does not match"},
		{"deleted job", pathOf(deleted.str("upload_url")), uploadFields(deleted), 403, "no job for key"},
		{"started job", pathOf(started.str("upload_url")), uploadFields(started), 409, "has been started"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Only the start of the form is sent: the server cannot have reached the file part.
			c := rawUpload(t, addr, tt.path, "XyZ", formHead(t, tt.fields)[:40])
			status, body := readAnswer(t, c)
			if status != tt.status || !strings.Contains(body, tt.message) {
				t.Fatalf("got %d %s; want %d containing %q", status, body, tt.status, tt.message)
			}
		})
	}
}

// TestBlobUploadShortTimeoutsUntilAuthorised: until an upload is authorised, its
// connection keeps the server's read timeout, not the long transfer timeout: a client
// that sends its form slowly, with a signed URL or without, is cut off; an admitted
// upload may take longer than the read timeout.
func TestBlobUploadShortTimeoutsUntilAuthorised(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{TransferTimeout: time.Hour}})
	addr := serveWithReadTimeout(t, e, readTimeout)

	created := e.createJob(t, e.keyA, `{`+spec3+`}`)
	u, err := url.Parse(created.str("upload_url"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path string }{
		{"no signature in the URL", "/_blob/upload"},
		{"a signed URL, the form not yet read", u.RequestURI()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The preamble is not finished: the server is still reading the form.
			c := rawUpload(t, addr, tt.path, "XyZ", []byte("a preamble line\r\n"))
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			_, err := io.ReadAll(c) // until the server closes the connection
			if isTimeout(err) {
				t.Fatalf("the connection of an unauthorised upload was still open after 30 s (read timeout %s)", readTimeout)
			}
		})
	}

	// An admitted upload outlives the read timeout.
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.CloseWithError(errors.New("test ended")) })
	done := make(chan response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+u.RequestURI(), pr)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=XyZ")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- response{status: -1, raw: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		done <- response{status: resp.StatusCode, raw: raw}
	}()
	head := formHead(t, uploadFields(created))
	if _, err := pw.Write(head); err != nil {
		t.Fatal(err)
	}
	e.waitUploadAdmitted(t, created.str("job_id"))
	time.Sleep(2 * readTimeout) // past the read timeout: the condition under test, not an assertion on time
	io.WriteString(pw, "\r\n--XyZ--\r\n")
	pw.Close()
	if r := <-done; r.status != http.StatusNoContent {
		t.Fatalf("an admitted upload slower than the read timeout: %d %s", r.status, r.raw)
	}
}

// readTimeout is the server's read timeout in the tests of what a connection may hold
// before it is authorised; the transfer timeout there is an hour.
const readTimeout = 300 * time.Millisecond

// serveWithReadTimeout serves e's handler on loopback with http.Server's ReadTimeout set,
// as serve sets http.read_timeout, and returns its address.
func serveWithReadTimeout(t *testing.T, e *testEnv, d time.Duration) string {
	ts := httptest.NewUnstartedServer(e.srv.Handler())
	ts.Config.ReadTimeout = d
	ts.Start()
	t.Cleanup(ts.Close)
	return ts.Listener.Addr().String()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestBlobDownloadShortTimeoutsUntilSigned: a download request whose URL is not validly
// signed keeps the server's read timeout: a client that sends a slow body with it (the
// server reads an unread small body before it answers) is cut off, instead of holding the
// connection for the transfer timeout (issue 22).
func TestBlobDownloadShortTimeoutsUntilSigned(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{TransferTimeout: time.Hour}})
	addr := serveWithReadTimeout(t, e, readTimeout)

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	path := "/_blob/download/jobs/j1/results.ndjson?exp=9999999999&filename=r.ndjson&sig=bad"
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\nsome", path, addr, 100<<10)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, err = io.ReadAll(c) // until the server closes the connection
	if isTimeout(err) {
		t.Fatalf("the connection of an unsigned download was still open after 30 s (read timeout %s)", readTimeout)
	}
}
