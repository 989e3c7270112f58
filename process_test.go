package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
)

// These tests run the real binary as a separate process, built without -race, so
// they measure its actual peak memory and can kill it with SIGKILL.

var buildOnce struct {
	sync.Once
	path string
	err  error
}

// TestMain removes the binary buildBinary built (a 25 MB folder per test run otherwise).
func TestMain(m *testing.M) {
	code := m.Run()
	if buildOnce.path != "" {
		os.RemoveAll(filepath.Dir(buildOnce.path))
	}
	os.Exit(code)
}

func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "classer-bin-")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "classer-batch")
		// As the README and packaging/ build it: static (no cgo: the FROM scratch image
		// has no libc) and with the version and commit set by -ldflags.
		cmd := exec.Command("go", "build", "-ldflags", "-X main.version="+testBinaryVersion+" -X main.commit="+testBinaryCommit,
			"-o", buildOnce.path, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.path
}

// The version and commit buildBinary stamps into the binary.
const (
	testBinaryVersion = "v0.0.0-test"
	testBinaryCommit  = "0123456789abcdef0123456789abcdef01234567"
)

type proc struct {
	cmd    *exec.Cmd
	url    string
	logs   *syncBuffer   // everything the process wrote on stderr
	closed chan struct{} // closed when its stderr has ended: it has exited
}

var urlRE = regexp.MustCompile(`url=(https?://127\.0\.0\.1:\d+)`)

// startProc starts `classer-batch serve` on a free loopback port and waits for its URL.
func startProc(t *testing.T, bin, dataDir string) *proc {
	t.Helper()
	return startProcAt(t, bin, dataDir, "127.0.0.1:0")
}

// freeAddr returns a loopback address with a port free right now, for tests that
// restart the server and need the URLs it handed out to keep working.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// scanServeLog copies a serving process's log lines into logs and sends the first URL it
// announces (url=…) on found, without blocking; it returns when r ends.
func scanServeLog(r io.Reader, logs *syncBuffer, found chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		logs.Write(append(sc.Bytes(), '\n'))
		if m := urlRE.FindStringSubmatch(sc.Text()); m != nil {
			select {
			case found <- m[1]:
			default:
			}
		}
	}
}

// startProcAt starts the binary on addr and waits for its URL; env adds or overrides variables.
func startProcAt(t *testing.T, bin, dataDir, addr string, env ...string) *proc {
	t.Helper()
	p, found := launchProc(t, bin, dataDir, addr, env...)
	select {
	case p.url = <-found:
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start within 30s")
	}
	return p
}

// launchProc starts `classer-batch serve` on addr with env added, without waiting: the
// URL it announces arrives on the returned channel.
func launchProc(t *testing.T, bin, dataDir, addr string, env ...string) (*proc, chan string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", dataDir)
	cmd.Env = append(os.Environ(),
		"CLASSER_API_KEYS=acme:"+acmeKey,
		"CLASSER_PIPELINE_CHECKPOINT_INTERVAL=100ms",
	)
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	p := &proc{cmd: cmd, logs: &syncBuffer{}, closed: make(chan struct{})}
	go func() {
		defer close(p.closed)
		scanServeLog(stderr, p.logs, found)
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p, found
}

// peakRSS reads the process's high-water resident set size from /proc.
func (p *proc) peakRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// runJob creates, uploads (streamed), starts and waits for a job on p.
func runJob(t *testing.T, c *client, src io.Reader) string {
	t.Helper()
	job := c.createJob(seedSpec)
	if code, body := upload(t, job.UploadURL, allFields(job), src); code != 204 {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != 202 {
		t.Fatalf("start: %d", code)
	}
	return job.JobID
}

// TestBinaryMemoryStaysFlat uploads and processes a multi-hundred-MB generated
// file and checks the appliance's peak RSS grew by no more than a fixed bound
// over what a 1 MB job needed: memory must not grow with the input.
// CLASSER_TEST_BIG_LINES sets the size (default 2,000,000 lines, about 300 MB).
func TestBinaryMemoryStaysFlat(t *testing.T) {
	bin := buildBinary(t)
	p := startProc(t, bin, t.TempDir())
	c := newClient(t, p.url, acmeKey)

	small := runJob(t, c, newCorpus(3, 7_000))
	if v := c.waitStatus(small, time.Minute, "completed", "failed"); v.Status != "completed" {
		t.Fatalf("small job: %+v", v)
	}
	base := p.peakRSS(t)

	lines := envInt("CLASSER_TEST_BIG_LINES", 2_000_000)
	start := time.Now()
	big := runJob(t, c, newCorpus(4, lines))
	uploaded := time.Since(start)
	v := c.waitStatus(big, 15*time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsCompleted != int64(lines) {
		t.Fatalf("big job: %+v", v)
	}
	peak := p.peakRSS(t)
	t.Logf("%d lines: upload %s, total %s; peak RSS after 1 MB job %d MB, after big job %d MB",
		lines, uploaded.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), base>>20, peak>>20)
	// The bound is generous for GC slack but far below the input size.
	if growth := peak - base; growth > 64<<20 {
		t.Fatalf("peak RSS grew by %d MB for a bigger input; memory is not flat", growth>>20)
	}
	if peak > 256<<20 {
		t.Fatalf("peak RSS %d MB over 256 MB", peak>>20)
	}
}

// TestBinaryKill9Resumes kills the appliance with SIGKILL in the middle of a job,
// starts it again on the same data dir, and checks the job completes with results
// byte-identical to the offline pipeline's on the same input.
func TestBinaryKill9Resumes(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	lines := envInt("CLASSER_TEST_KILL_LINES", 300_000)
	input, want := reference(t, bin, 11, lines)

	p := startProc(t, bin, dir)
	c := newClient(t, p.url, acmeKey)
	id := runJob(t, c, bytes.NewReader(input))
	kills := 0
	for range 3 {
		// Wait for progress past the last checkpoint, then kill without warning.
		v := c.waitCheckpoint(id, time.Minute)
		if v.Status != "processing" {
			break
		}
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
		// What the kill left in the database says whether it landed mid-job.
		if j := storedJob(t, dir, id); midJob(j, int64(lines)) {
			kills++
		}
		p = startProc(t, bin, dir)
		c = newClient(t, p.url, acmeKey)
	}
	if kills == 0 {
		t.Fatal("no kill landed while the job was processing; raise CLASSER_TEST_KILL_LINES")
	}
	v := c.waitStatus(id, 5*time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsCompleted != int64(lines) {
		t.Fatalf("after %d kills: %+v", kills, v)
	}
	t.Logf("killed %d times mid-job; results identical (%d bytes)", kills, len(want))
	if got := c.download(id); !bytes.Equal(got, want) {
		t.Fatalf("results after SIGKILL and restart differ from an uninterrupted run (%d vs %d bytes)", len(got), len(want))
	}
}

// TestBinaryKillLoop kills the appliance with SIGKILL at random moments of one
// job's life — during the upload, the count, processing, checkpoints and
// completion — restarting it each time, and checks that the job is neither lost
// nor stuck and that its results equal an uninterrupted run's byte for byte.
// CLASSER_TEST_KILLS sets the number of kills (default 8; the long run uses 50).
func TestBinaryKillLoop(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	lines := envInt("CLASSER_TEST_KILL_LOOP_LINES", 1_000_000)
	input, want := reference(t, bin, 21, lines)

	rnd := rand.New(rand.NewPCG(42, 7))
	kills := envInt("CLASSER_TEST_KILLS", 8)
	// One fixed port, so the upload URL handed out before a kill still works after.
	addr := freeAddr(t)
	p := startProcAt(t, bin, dir, addr)
	c := newClient(t, p.url, acmeKey)
	job := c.createJob(seedSpec)
	uploaded, started := false, false
	phases := map[string]int{} // what the test was doing when it killed
	landed := map[string]int{} // where the job was when the kill landed (from the database)
	for k := 0; k < kills; k++ {
		if !uploaded && phases["upload"] >= 2 {
			// Two uploads were cut off; let the third through so later kills hit the job.
			upload(t, job.UploadURL, allFields(job), bytes.NewReader(input))
			uploaded = true
		}
		delay := time.Duration(rnd.IntN(250)) * time.Millisecond
		timer := time.AfterFunc(delay, func() { p.cmd.Process.Signal(syscall.SIGKILL) })
		phase := "idle"
		switch {
		case !uploaded:
			phase = "upload"
			code, _, err := tryUpload(job.UploadURL, allFields(job), bytes.NewReader(input))
			uploaded = err == nil && code == 204
		case !started:
			phase = "start"
			req, _ := http.NewRequest("POST", p.url+"/v1/batch/"+job.JobID+"/start", nil)
			req.Header.Set("Authorization", "Bearer "+acmeKey)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				started = resp.StatusCode == 202
			}
		default:
			var v jobView
			req, _ := http.NewRequest("GET", p.url+"/v1/batch/"+job.JobID, nil)
			req.Header.Set("Authorization", "Bearer "+acmeKey)
			if resp, err := http.DefaultClient.Do(req); err == nil {
				json.NewDecoder(resp.Body).Decode(&v)
				resp.Body.Close()
			}
			phase = v.Status
		}
		if phase == "completed" {
			timer.Stop()
			p.cmd.Process.Signal(syscall.SIGKILL) // nothing left to interrupt
			p.cmd.Wait()
			p = startProcAt(t, bin, dir, addr)
			c = newClient(t, p.url, acmeKey)
			break
		}
		p.cmd.Wait() // the timer kills it
		timer.Stop()
		phases[phase]++
		landed[jobStage(storedJob(t, dir, job.JobID), int64(lines))]++
		p = startProcAt(t, bin, dir, addr)
		c = newClient(t, p.url, acmeKey)
	}
	if !uploaded {
		upload(t, job.UploadURL, allFields(job), bytes.NewReader(input))
	}
	// A start that was answered 202 may have been lost only if the kill came first;
	// the job must then still be pending or processing, never stuck elsewhere.
	var v jobView
	c.do("GET", "/v1/batch/"+job.JobID, nil, &v)
	if v.Status == "pending" {
		if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != 202 {
			t.Fatalf("start after kills: %d", code)
		}
	}
	v = c.waitStatus(job.JobID, 5*time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsCompleted != int64(lines) {
		t.Fatalf("after %d kills (%v): %+v", kills, phases, v)
	}
	if got := c.download(job.JobID); !bytes.Equal(got, want) {
		t.Fatalf("results after %d kills differ from an uninterrupted run (%d vs %d bytes)", kills, len(got), len(want))
	}
	t.Logf("%d kills by what the test was doing %v, by where the job was %v; results identical", kills, phases, landed)
	// The point of the loop: kills that interrupt the job's processing. Fewer means the
	// job ran out before the kills did.
	if landed["processing"] < 3 {
		t.Fatalf("only %d kills landed while the job was processing (%v); raise CLASSER_TEST_KILL_LOOP_LINES", landed["processing"], landed)
	}
}

// jobStage names where a job stood in its life, from its record in the database:
// pending (before or during the upload, or before the start was recorded), counting,
// processing (part-way through its lines), completing (results published, not yet
// marked completed), or its final status.
func jobStage(j *batch.Job, lines int64) string {
	switch {
	case j.Status == batch.StatusProcessing && !j.Counted:
		return "counting"
	case midJob(j, lines):
		return "processing"
	case j.Status == batch.StatusProcessing && j.Final != nil:
		return "completing"
	}
	return string(j.Status)
}

// midJob reports whether j, a job of lines lines, is processing part-way through them.
func midJob(j *batch.Job, lines int64) bool {
	return j.Status == batch.StatusProcessing && j.Counted && j.Final == nil && j.Checkpoint.Completed+j.Checkpoint.Failed < lines
}

// TestBinarySIGTERM: SIGTERM mid-job shuts down gracefully within the shutdown
// timeout and exits 0, leaving the job processing at a checkpoint part-way; the next
// start resumes the job to identical results.
func TestBinarySIGTERM(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	lines := envInt("CLASSER_TEST_SIGTERM_LINES", 300_000)
	input, want := reference(t, bin, 23, lines)
	p := startProc(t, bin, dir)
	c := newClient(t, p.url, acmeKey)
	id := runJob(t, c, bytes.NewReader(input))
	if v := c.waitProgress(id, time.Minute); v.Status != "processing" {
		t.Fatalf("the job finished before the SIGTERM; raise CLASSER_TEST_SIGTERM_LINES: %+v", v)
	}
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	took := time.Since(start)
	if took > 30*time.Second {
		t.Fatalf("graceful shutdown took %s, over the 30 s shutdown timeout", took)
	}
	if j := storedJob(t, dir, id); !midJob(j, int64(lines)) || j.Checkpoint.Completed == 0 {
		t.Fatalf("after the SIGTERM the job is %s at %+v; want processing with a part-way checkpoint (raise CLASSER_TEST_SIGTERM_LINES if it finished first)", j.Status, j.Checkpoint)
	}
	p = startProc(t, bin, dir)
	c = newClient(t, p.url, acmeKey)
	v := c.waitStatus(id, 5*time.Minute, "completed", "failed")
	if v.Status != "completed" {
		t.Fatalf("%+v", v)
	}
	if !bytes.Equal(c.download(id), want) {
		t.Fatal("results after SIGTERM and restart differ")
	}
	t.Logf("SIGTERM shutdown took %s", took.Round(time.Millisecond))
}

// reference generates n corpus lines with seed and runs the binary's offline
// `classify` on them: the input and the results of an uninterrupted run.
func reference(t *testing.T, bin string, seed uint64, n int) (input, want []byte) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(newCorpus(seed, n)); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	inPath, jobPath, wantPath := filepath.Join(dir, "input.ndjson"), filepath.Join(dir, "job.json"), filepath.Join(dir, "want.ndjson")
	if err := os.WriteFile(inPath, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jobPath, []byte(`{"labels":["billing","technical","sales"],"mode":"single"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "classify", "--job", jobPath, "-o", wantPath, inPath).CombinedOutput(); err != nil {
		t.Fatalf("offline classify: %v\n%s", err, out)
	}
	want, err := os.ReadFile(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), want
}

// waitCheckpoint polls a job until its durable counters move past where they
// are now (a new checkpoint) or it stops processing, and returns what it saw.
func (c *client) waitCheckpoint(id string, limit time.Duration) jobView {
	c.t.Helper()
	var before, v jobView
	c.do("GET", "/v1/batch/"+id, nil, &before)
	deadline := time.Now().Add(limit)
	for {
		c.do("GET", "/v1/batch/"+id, nil, &v)
		if v.Status != "processing" || v.RequestsCompleted > before.RequestsCompleted {
			return v
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %s: no new checkpoint within %s", id, limit)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not an assertion
	}
}

// waitProgress polls a job until it has a checkpoint with some lines done, or it stops
// processing, and returns what it saw.
func (c *client) waitProgress(id string, limit time.Duration) jobView {
	c.t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var v jobView
		c.do("GET", "/v1/batch/"+id, nil, &v)
		if v.RequestsCompleted > 0 || v.Status != "processing" {
			return v
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("job %s: no progress within %s", id, limit)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not an assertion
	}
}
