package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
)

// TestBadInputFiles uploads each kind of bad file through the API: a bad line fails
// alone with an error naming it, and a file with no usable line fails the job early
// with an error naming the first bad line.
func TestBadInputFiles(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Limits.MaxTextChars = 1000
	m := startMain(t, cfg)
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)

	good := `{"text":"The app keeps crashing"}`
	fifty := `{"text":"` + strings.Repeat("word ", 10<<20) + `"}` // a 50 MB single line
	var gzGood bytes.Buffer
	zw := gzip.NewWriter(&gzGood)
	io.WriteString(zw, good+"\n"+good+"\n")
	zw.Close()
	binary := make([]byte, 4096)
	for i := range binary {
		binary[i] = byte(i*7 + i/13)
	}

	for _, tc := range []struct {
		name   string
		input  string
		status string
		errs   []string // per result line: "" for a classified line, else the error's prefix
		jobErr string
	}{
		{"invalid JSON", good + "\n{\"text\": \n", "completed", []string{"", "line 2: invalid JSON"}, ""},
		{"array and number", good + "\n[1,2]\n42\n", "completed", []string{"", "line 2: expected a JSON object, got an array", "line 3: expected a JSON object"}, ""},
		{"missing and non-string text", good + "\n{\"id\":1}\n{\"text\":5}\n", "completed", []string{"", `line 2: missing "text"`, `line 3: "text" must be a string`}, ""},
		{"empty text", good + "\n{\"text\":\"\"}\n", "completed", []string{"", `line 2: "text" is empty`}, ""},
		{"text over the limit", good + "\n{\"text\":\"" + strings.Repeat("é", 1001) + "\"}\n", "completed", []string{"", `line 2: "text" is 1001 characters`}, ""},
		{"50 MB single line", good + "\n" + fifty + "\n" + good, "completed", []string{"", "line 2: line is longer than", ""}, ""},
		{"invalid UTF-8", good + "\n{\"text\":\"a\xff\xfe\"}\n", "completed", []string{"", "line 2: invalid UTF-8"}, ""},
		{"BOM and CRLF", "\uFEFF" + good + "\r\n" + good + "\r\n", "completed", []string{"", ""}, ""},
		{"NUL byte", good + "\n{\"text\":\"a\x00b\"}\n", "completed", []string{"", "line 2: invalid JSON"}, ""},
		{"no trailing newline", good + "\n" + good, "completed", []string{"", ""}, ""},
		{"empty file", "", "refused", nil, "the file is empty (0 bytes)"},
		{"only blank lines", "\n \n\t\n", "completed", nil, ""},
		{"gzip", gzGood.String(), "completed", []string{"", ""}, ""},
		{"every line bad", "{nope\n{nope\n", "failed", nil, "every line failed; first: line 1: invalid JSON"},
		// A file that plainly is not NDJSON is refused at upload (local storage), saying
		// what its first line looked like; nothing is stored.
		{"binary file", string(binary), "refused", nil, "the file is not NDJSON: it looks like a binary file (its first bytes are 00 07 0e 15"},
		{"JSON array", `[{"text":"a"},` + "\n" + `{"text":"b"}]`, "refused", nil, `the file is a JSON array, not NDJSON: its first line starts with "[{\"text\":\"a\"},"`},
		{"plain text", "nope\nnope\n", "refused", nil, `the file is not NDJSON: its first line starts with "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := c.createJob(seedSpec)
			code, body := upload(t, job.UploadURL, allFields(job), strings.NewReader(tc.input))
			if tc.status == "refused" {
				var e struct{ Code, Message string }
				json.Unmarshal([]byte(body), &e)
				if code != 400 || e.Code != "NOT_NDJSON" || !strings.Contains(e.Message, tc.jobErr) {
					t.Fatalf("upload: %d %s; want 400 NOT_NDJSON saying %q", code, body, tc.jobErr)
				}
				if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != 422 {
					t.Fatalf("start after a refused upload: %d, want 422 (no input)", code)
				}
				return
			}
			if code != 204 {
				t.Fatalf("upload: %d %s", code, body)
			}
			if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != 202 {
				t.Fatalf("start: %d", code)
			}
			v := c.waitStatus(job.JobID, 2*time.Minute, "completed", "failed")
			if v.Status != tc.status {
				t.Fatalf("status %s (%v), want %s", v.Status, v.Error, tc.status)
			}
			if tc.status == "failed" {
				if v.Error == nil || !strings.HasPrefix(*v.Error, tc.jobErr) {
					t.Fatalf("job error %v, want prefix %q", v.Error, tc.jobErr)
				}
				return
			}
			res := parseResults(t, c.download(job.JobID))
			if len(res) != len(tc.errs) || v.RequestsTotal != int64(len(tc.errs)) {
				t.Fatalf("%d results, requests_total %d, want %d", len(res), v.RequestsTotal, len(tc.errs))
			}
			for i, want := range tc.errs {
				if want == "" && (res[i].Error != "" || res[i].Label == "") {
					t.Errorf("line %d: %+v, want a label", i, res[i])
				}
				if want != "" && !strings.HasPrefix(res[i].Error, want) {
					t.Errorf("line %d: error %q, want prefix %q", i, res[i].Error, want)
				}
			}
		})
	}

	// When every one of the first FailFastLines lines fails, the job stops early.
	var bad strings.Builder
	for range 1500 {
		bad.WriteString("{oops\n")
	}
	bad.WriteString(good + "\n")
	job := c.createJob(seedSpec)
	upload(t, job.UploadURL, allFields(job), strings.NewReader(bad.String()))
	c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil)
	v := c.waitStatus(job.JobID, time.Minute, "completed", "failed")
	if v.Status != "failed" || v.Error == nil || !strings.Contains(*v.Error, "the first 1000 lines all failed; first: line 1: invalid JSON") {
		t.Fatalf("fail-fast: %+v %v", v, v.Error)
	}

	// But 1,500 bad lines among good ones are a file with bad lines, not a wrong file:
	// each fails alone and the job completes.
	var mixed strings.Builder
	for range 1500 {
		mixed.WriteString("{oops\n" + good + "\n")
	}
	job = c.createJob(seedSpec)
	upload(t, job.UploadURL, allFields(job), strings.NewReader(mixed.String()))
	c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil)
	v = c.waitStatus(job.JobID, time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsFailed != 1500 || v.RequestsCompleted != 1500 {
		t.Fatalf("1,500 bad lines among good ones: %+v %v; want completed with each bad line failed", v, v.Error)
	}
}

// TestBadRequests covers request-level limits through real HTTP.
func TestBadRequests(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.Limits.MaxUploadBytes = 1 << 20
	m := startMain(t, cfg)
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)

	labels := make([]string, 201)
	for i := range labels {
		labels[i] = fmt.Sprintf("label-%d", i)
	}
	var e struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}
	if code, _ := c.do("POST", "/v1/batch", map[string]any{"labels": labels}, &e); code != 422 || e.Details["field"] != "labels" {
		t.Errorf("201 labels: %d %+v", code, e)
	}
	big := `{"text":"` + strings.Repeat("a", 2<<20) + `","labels":["a","b"]}`
	if code, _ := c.do("POST", "/v1/classify", big, &e); code != 413 {
		t.Errorf("2 MB body: %d %+v", code, e)
	}

	// An upload over max_upload_bytes is refused with EntityTooLarge and stores nothing.
	job := c.createJob(seedSpec)
	code, body := upload(t, job.UploadURL, allFields(job), io.LimitReader(newCorpus(5, 1<<30), 3<<20))
	if code != 400 || !strings.Contains(body, "EntityTooLarge") {
		t.Errorf("oversized upload: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, &e); code != 422 {
		t.Errorf("start after a refused upload: %d %+v", code, e)
	}
}

// TestRacingStarts: many concurrent starts of one job, and of two jobs of one
// account, leave exactly one running.
func TestRacingStarts(t *testing.T) {
	m := startMain(t, testConfig(t, t.TempDir()))
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)
	var input bytes.Buffer
	input.ReadFrom(newCorpus(9, 20_000))
	var ids []string
	for range 2 {
		j := c.createJob(seedSpec)
		upload(t, j.UploadURL, allFields(j), bytes.NewReader(input.Bytes()))
		ids = append(ids, j.JobID)
	}
	var mu sync.Mutex
	accepted := map[string]int{}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := ids[i%2]
			if code, _ := c.do("POST", "/v1/batch/"+id+"/start", nil, nil); code == 202 {
				mu.Lock()
				accepted[id]++
				mu.Unlock()
			} else if code != 409 {
				t.Errorf("start: %d", code)
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range accepted {
		total += n
	}
	if total != 1 {
		t.Fatalf("%d starts accepted (%v), want exactly 1", total, accepted)
	}
	for id := range accepted {
		c.waitStatus(id, 2*time.Minute, "completed")
	}
}

// TestHostileClients: slow-loris headers are cut off by the read-header timeout,
// oversized headers are refused, and API keys never reach the logs.
func TestHostileClients(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	cfg.HTTP.ReadHeaderTimeout = 300 * time.Millisecond
	cfg.HTTP.MaxHeaderBytes = 8 << 10
	var logs syncBuffer
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Stderr: io.Discard}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	addr := strings.TrimPrefix(m.URL, "http://")

	// Slow loris: half a request line of headers, then silence. The server must
	// close the connection; the test waits at most 10 s for that.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "POST /v1/batch HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("server kept a slow-loris connection open for %s", time.Since(start))
	}

	// Oversized headers: 431.
	req, _ := http.NewRequest("GET", m.URL+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized headers: %d", resp.StatusCode)
	}

	// Keys never appear in logs, whether right or wrong.
	c := newClient(t, m.URL, acmeKey)
	c.do("GET", "/v1/batch", nil, nil)
	newClient(t, m.URL, "sk-wrong-secret-zzz").do("GET", "/v1/batch", nil, nil)
	c.do("POST", "/v1/classify", map[string]any{"text": "hello", "labels": []string{"a", "b"}}, nil)
	if s := logs.String(); strings.Contains(s, acmeKey) || strings.Contains(s, "sk-wrong-secret-zzz") || !strings.Contains(s, "/v1/batch") {
		t.Errorf("logs leak a key or log nothing:\n%s", s)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestInputVanished: a job whose input object disappeared while the appliance was
// down fails with a clear error instead of hanging. The first appliance reads only half
// the input (holdInputAt), so it stops with the job mid-way.
func TestInputVanished(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	var input bytes.Buffer
	input.ReadFrom(newCorpus(13, 20_000))
	hold, held := holdInputAt(int64(input.Len() / 2))
	m := startMain(t, cfg, hold)
	c := newClient(t, m.URL, acmeKey)
	job := c.createJob(seedSpec)
	upload(t, job.UploadURL, allFields(job), bytes.NewReader(input.Bytes()))
	c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil)
	waitHeld(t, held)
	m.Close() // stops the job at a checkpoint, still processing
	if j := storedJob(t, dir, job.JobID); j.Status != batch.StatusProcessing {
		t.Fatalf("after the stop the job is %s, want processing", j.Status)
	}

	if err := os.Remove(filepath.Join(dir, "objects", "jobs", job.JobID, "input.ndjson")); err != nil {
		t.Fatal(err)
	}
	m2 := startMain(t, cfg)
	defer m2.Close()
	c2 := newClient(t, m2.URL, acmeKey)
	v := c2.waitStatus(job.JobID, time.Minute, "failed", "completed")
	if v.Status != "failed" || v.Error == nil || !strings.Contains(*v.Error, "input file is missing") {
		t.Fatalf("job %s, error %v; want failed because the input file is missing", v.Status, v.Error)
	}
}

// TestStartWaitsForUpload: a start while the job's upload is still streaming is
// refused (409), so an admitted upload can never replace the input of a job
// that has started; once the upload finishes, the start goes through.
func TestStartWaitsForUpload(t *testing.T) {
	m := startMain(t, testConfig(t, t.TempDir()))
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)
	job := c.createJob(seedSpec)

	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		code, _, err := tryUpload(job.UploadURL, allFields(job), pr)
		if err != nil {
			code = -1
		}
		done <- code
	}()
	pw.Write([]byte(seedInput)) // the file part has begun; the upload stays open

	deadline := time.Now().Add(time.Minute)
	for {
		code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil)
		if code == http.StatusConflict {
			break // the upload was admitted and is in progress
		}
		if code != 422 {
			t.Fatalf("start during upload: %d, want 409 (or 422 before the upload is admitted)", code)
		}
		if time.Now().After(deadline) {
			t.Fatal("start never saw the upload in progress")
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not an assertion
	}
	pw.Close()
	if code := <-done; code != http.StatusNoContent {
		t.Fatalf("upload: %d", code)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != http.StatusAccepted {
		t.Fatalf("start after the upload: %d", code)
	}
	c.waitStatus(job.JobID, time.Minute, "completed")
}
