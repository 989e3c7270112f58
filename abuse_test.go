package main

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/classify/modeltest"
)

// startProcConfig starts the binary as startProc does, with a config file.
func startProcConfig(t *testing.T, bin, dataDir, config string) *proc {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--config", config)
	cmd.Env = append(os.Environ(), "CLASSER_API_KEYS=acme:"+acmeKey)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &syncBuffer{}}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	found := make(chan string, 1)
	go scanServeLog(stderr, p.logs, found)
	select {
	case p.url = <-found:
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not start within 30s:\n%s", p.logs.String())
	}
	return p
}

// openSlowUpload opens a connection that sends an upload's headers and the first bytes
// of its body, and then nothing: a client holding a connection open mid-upload.
func openSlowUpload(t *testing.T, base, path string, head string) net.Conn {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: %d\r\n\r\n%s", path, u.Host, 1<<30, head)
	return c
}

// TestBinarySIGTERMUnderUploadAbuse: SIGTERM while stalled upload connections are open
// (one without a signature, one with a pending job's signed URL) and a job is processing
// still exits 0 within http.shutdown_timeout, and leaves the job at a checkpoint: the
// connections are closed after half the budget rather than using all of it up.
func TestBinarySIGTERMUnderUploadAbuse(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	// A slow model server keeps the job processing, a few lines a second, for as long
	// as the test needs.
	model := modeltest.NewOpenAIServer(32)
	defer model.Close()
	model.SetFaults(func(s *modeltest.OpenAIServer) { s.Slow, s.SlowBy = 1<<30, 50*time.Millisecond })
	const budget = 10 * time.Second
	config := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(config, fmt.Appendf(nil, `
http:
  shutdown_timeout: %s
pipeline:
  chunk_lines: 8
  checkpoint_interval: 100ms
models:
  slow:
    kind: openai-embeddings
    url: %s
    model: m
    batch_size: 8
    max_concurrency: 1
`, budget, model.URL), 0o600); err != nil {
		t.Fatal(err)
	}
	p := startProcConfig(t, bin, dir, config)
	c := newClient(t, p.url, acmeKey)

	const lines = 2000
	job := c.createJob(withModel("slow"))
	if code, body := upload(t, job.UploadURL, allFields(job), strings.NewReader(modelJobInput(lines))); code != 204 {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != 202 {
		t.Fatalf("start: %d", code)
	}
	id := job.JobID
	if v := c.waitProgress(id, time.Minute); v.Status != "processing" {
		t.Fatalf("the job stopped before the SIGTERM: %+v", v)
	}
	pending := c.createJob(seedSpec)
	u, err := url.Parse(pending.UploadURL)
	if err != nil {
		t.Fatal(err)
	}
	openSlowUpload(t, p.url, "/_blob/upload", "a preamble line\r\n")
	openSlowUpload(t, p.url, u.RequestURI(), "--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n")
	// A request on another connection answered after both were sent: the server has
	// taken them (a best effort; a connection not yet taken is waited for all the same).
	c.do("GET", "/v1/batch/"+id, nil, nil)

	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM with stalled uploads open: %v\n%s", err, p.logs.String())
	}
	took := time.Since(start)
	if took >= budget {
		t.Fatalf("shutdown took %s, not within the %s shutdown timeout", took, budget)
	}
	if !strings.Contains(p.logs.String(), "closing the connections still open") {
		t.Errorf("the log does not say the stalled connections were closed:\n%s", p.logs.String())
	}
	if j := storedJob(t, dir, id); !midJob(j, lines) || j.Checkpoint.Completed == 0 {
		t.Fatalf("after the SIGTERM the job is %s at %+v; want processing with a part-way checkpoint", j.Status, j.Checkpoint)
	}
	t.Logf("SIGTERM with stalled uploads open: exit 0 after %s (shutdown timeout %s)", took.Round(time.Millisecond), budget)
}
