package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/minio/minio-go/v7/pkg/cors"
)

// The console's upload in a real browser (issue 22, findings 12 and 14): on S3 storage,
// where the page posts the file straight to the bucket, and the new-job form's checks of
// the file before anything is created.

// signIn opens the console and enters key.
func (p *tab) signIn(key string) {
	p.t.Helper()
	p.do("open the console", 20*time.Second, chromedp.Navigate(p.base+"/"), chromedp.WaitVisible(chromedp.ID("key-input")))
	p.do("paste the key", 10*time.Second, chromedp.SetValue(chromedp.ID("key-input"), key), chromedp.Click(chromedp.ID("key-submit")))
	p.wait("the jobs list", `document.getElementById('jobs-empty') || document.getElementById('jobs-table')`, 10*time.Second)
}

// newJobForm opens the new-job form and names the job and its labels.
func (p *tab) newJobForm(name string, labels ...string) {
	p.t.Helper()
	p.goTo("#/new")
	p.do("open the new-job form", 10*time.Second, chromedp.WaitVisible(chromedp.ID("new-job")))
	p.setValue("#job-name", name)
	for jsEval[int](p, `document.querySelectorAll('#new-job .label-row').length`) < len(labels) {
		p.click("#nj-add-label")
	}
	for i, l := range labels {
		p.setValue(`#new-job .label-row:nth-child(`+strconv.Itoa(i+1)+`) .label-name`, l)
	}
}

// writeInput writes content to a file named name in a temp folder and returns its path.
func writeInput(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// noJSErrors fails the test for every JavaScript error the tab saw except those that
// contain one of the expected strings.
func (p *tab) noJSErrors(expected ...string) {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
next:
	for _, e := range p.jsErrors {
		for _, x := range expected {
			if strings.Contains(e, x) {
				p.t.Logf("expected browser error: %s", e)
				continue next
			}
		}
		p.t.Errorf("JavaScript error: %s", e)
	}
}

// TestBrowserConsoleS3 walks upload, preview and start in the console with storage.kind
// s3 against a real S3 server: the page posts the file straight to the bucket (the
// appliance never sees it), so the job page learns that the job has its input from the
// store. First without a CORS rule on the bucket, as an operator who has not read the
// README would run it: the upload fails and the page says that the bucket needs one. Then
// with the rule: the retry from the job page uploads, previews, starts and completes.
func TestBrowserConsoleS3(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walk skipped in -short mode")
	}
	e := newS3Env(t)
	_ = chromiumPath(t)
	shots := filepath.Join(screenshotDir(t), "s3")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	m := startMain(t, e.config(t, t.TempDir()))
	defer m.Close()
	api := newClient(t, m.URL, acmeKey)
	p := newTab(t, m.URL, shots)
	input := browserInput()
	inputPath := writeInput(t, "tickets.ndjson", input)

	p.signIn(acmeKey)
	p.newJobForm("S3 tickets", "billing", "technical", "sales")
	p.do("pick the file", 10*time.Second, chromedp.SetUploadFiles(chromedp.ID("file"), []string{inputPath}))
	p.wait("the chosen file", `document.getElementById('file-info').textContent.includes('tickets.ndjson')`, 10*time.Second)

	// 1. No CORS rule: the browser may not post to the bucket, and the page says why.
	p.click("#create-job")
	p.wait("the upload's failure", `document.getElementById('err-file').textContent.includes('CORS')`, 30*time.Second)
	if msg := jsEval[string](p, `document.getElementById('err-file').textContent`); !strings.Contains(msg, e.endpoint) || !strings.Contains(msg, m.URL) {
		t.Errorf("the upload's error names neither the store nor this page's origin: %q", msg)
	}
	p.screenshot("s3-01-no-cors-1280")
	jobs := listJobs(t, api)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs after the failed upload, want the one created", len(jobs))
	}
	id := jobs[0].JobID
	if jv := getJob(t, api, id); jv.HasInput {
		t.Fatalf("job %s has input after a failed upload", id)
	}

	// 2. The operator adds the rule the README gives; the page's retry goes through.
	rule := cors.Rule{AllowedOrigin: []string{m.URL}, AllowedMethod: []string{http.MethodGet, http.MethodPost},
		AllowedHeader: []string{"*"}, ExposeHeader: []string{"Content-Range"}}
	if err := e.client(t).SetBucketCors(context.Background(), e.bucket, cors.NewConfig([]cors.Rule{rule})); err != nil {
		t.Fatalf("setting the bucket's CORS rule: %v", err)
	}
	p.click(`#view .banner.bad a[href="#/job/` + id + `"]`)
	p.do("the job's upload", 10*time.Second, chromedp.WaitVisible(chromedp.ID("job-file-input")))
	p.do("pick the file again", 10*time.Second, chromedp.SetUploadFiles(chromedp.ID("job-file-input"), []string{inputPath}))
	p.wait("the upload button", `!document.getElementById('upload-btn').disabled`, 10*time.Second)
	p.click("#upload-btn")
	p.wait("the preview of the uploaded job", `document.querySelectorAll('#preview-card .pv-label').length === 3`, 60*time.Second)
	jv := getJob(t, api, id)
	if jv.Status != "pending" || !jv.HasInput || jv.InputBytes != int64(len(input)) {
		t.Fatalf("job after the upload to the bucket: status %s, has_input %v, %d bytes; want pending, true, %d",
			jv.Status, jv.HasInput, jv.InputBytes, len(input))
	}
	if keys := e.objects(t, "jobs/"+id+"/input.ndjson"); len(keys) != 1 {
		t.Fatalf("input objects in the bucket: %v", keys)
	}
	if got := jsEval[string](p, `document.getElementById('job-file').parentNode.textContent`); !strings.Contains(got, "uploaded file") {
		t.Errorf("the page names the input %q", got)
	}
	p.wait("Start enabled", `!document.getElementById('start').disabled`, 10*time.Second)
	p.screenshot("s3-02-preview-1280")
	// The jobs list asks the store too.
	p.goTo("#/jobs")
	p.wait("the job listed with its file", `(document.querySelector('tr[data-job="`+id+`"] .file-name') || {}).textContent === 'uploaded file'`, 10*time.Second)
	p.goTo("#/job/" + id)
	p.wait("Start enabled again", `document.getElementById('start') && !document.getElementById('start').disabled`, 10*time.Second)

	// 3. Start from the page; the job completes on S3, and the charts read the results
	// from the bucket.
	p.click("#start")
	p.wait("completed", `document.querySelector('#view .badge.completed')`, 2*time.Minute)
	p.wait("the charts", `document.querySelectorAll('#label-chart .hbar').length >= 3 && document.querySelectorAll('#confidence-chart rect.bar').length === 10`, 30*time.Second)
	v := api.waitStatus(id, 10*time.Second, "completed")
	if v.RequestsTotal != 129 || v.RequestsFailed != 1 || v.RequestsCompleted != 128 {
		t.Fatalf("job %+v: want 129 lines, 1 failed", v)
	}
	if n := len(parseResults(t, api.download(id))); n != 129 {
		t.Fatalf("%d results, want 129", n)
	}
	p.screenshot("s3-03-completed-1280")
	// The first upload's refusal is logged by the browser; nothing else may be.
	p.noJSErrors("Access to XMLHttpRequest at '" + e.endpoint)
}

// TestBrowserNewJobFileChecks: the new-job form refuses a file that is not NDJSON before
// it creates a job (no orphan pending job), saying why at the file field; and while a
// file uploads, its progress sits in one line under the step's text (it wrapped one word
// per line in the 22 px dot column).
func TestBrowserNewJobFileChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walk skipped in -short mode")
	}
	_ = chromiumPath(t)
	shots := filepath.Join(screenshotDir(t), "file-checks")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	m := startMain(t, testConfig(t, t.TempDir()))
	defer m.Close()
	api := newClient(t, m.URL, acmeKey)
	p := newTab(t, m.URL, shots)

	p.signIn(acmeKey)
	p.newJobForm("Checks", "billing", "technical")

	// A CSV, a JSON array and a binary file are refused at the file field; no job is made.
	for _, f := range []struct{ name, content, want string }{
		{"tickets.csv", "id,text\n1,I was charged twice\n", `its first line starts with "id,text"`},
		{"tickets.json", "[{\"text\":\"I was charged twice\"}]\n", "a JSON array"},
		{"tickets.zip", "PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary file (its first bytes are 50 4b 03 04"},
	} {
		p.do("pick "+f.name, 10*time.Second, chromedp.SetUploadFiles(chromedp.ID("file"), []string{writeInput(t, f.name, f.content)}))
		p.wait("the chosen "+f.name, `document.getElementById('file-info').textContent.includes(`+quoteJS(f.name)+`)`, 10*time.Second)
		p.click("#create-job")
		p.wait(f.name+" refused", `document.getElementById('err-file').textContent.includes(`+quoteJS(f.want)+`) && !document.getElementById('create-job').disabled`, 10*time.Second)
		if jobs := listJobs(t, api); len(jobs) != 0 {
			t.Fatalf("%s: the refused file left %d jobs", f.name, len(jobs))
		}
	}
	p.screenshot("01-file-refused-1280")

	// A good file: its upload is held in the browser so its progress can be looked at.
	paused := make(chan fetch.RequestID, 4)
	if err := chromedp.Listen(p.ctx, func(ev any) {
		if ev, ok := ev.(*fetch.EventRequestPaused); ok {
			select {
			case paused <- ev.RequestID:
			default:
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
		{URLPattern: "*/_blob/upload*", RequestStage: fetch.RequestStageRequest},
	}}); err != nil {
		t.Fatal(err)
	}
	input := browserInput()
	p.do("pick the NDJSON file", 10*time.Second, chromedp.SetUploadFiles(chromedp.ID("file"), []string{writeInput(t, "tickets.ndjson", input)}))
	p.wait("the NDJSON file", `document.getElementById('file-info').textContent.includes('tickets.ndjson') && !document.getElementById('err-file').textContent`, 10*time.Second)
	p.click("#create-job")
	var req fetch.RequestID
	select {
	case req = <-paused:
	case <-time.After(30 * time.Second):
		p.fail("waiting for the upload request", context.DeadlineExceeded)
	}
	p.wait("the upload's progress", `document.querySelector('.steps li[data-step="upload"] .extra .sub') && document.querySelector('.steps li[data-step="upload"] .extra .sub').textContent`, 10*time.Second)
	type layout struct {
		Text      string  `json:"text"`
		Lines     int     `json:"lines"`
		ExtraLeft float64 `json:"extraLeft"`
		TextLeft  float64 `json:"textLeft"`
	}
	got := jsEval[layout](p, `(() => {
		const li = document.querySelector('.steps li[data-step="upload"]');
		const sub = li.querySelector('.extra .sub');
		const r = document.createRange();
		r.selectNodeContents(sub);
		return { text: sub.textContent, lines: new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size,
			extraLeft: li.querySelector('.extra').getBoundingClientRect().left, textLeft: li.children[1].getBoundingClientRect().left };
	})()`)
	p.screenshot("02-uploading-1280")
	if got.Lines != 1 || got.ExtraLeft < got.TextLeft-1 {
		t.Errorf("upload progress %q takes %d lines, at x=%.0f (the step's text is at x=%.0f); want one line under the text",
			got.Text, got.Lines, got.ExtraLeft, got.TextLeft)
	}
	if _, err := chromedp.Call(p.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: req}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(p.ctx, fetch.Disable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	p.wait("the job page with its preview", `location.hash.startsWith('#/job/') && document.querySelectorAll('#preview-card .pv-label').length === 2`, 60*time.Second)
	jobs := listJobs(t, api)
	if len(jobs) != 1 {
		t.Fatalf("%d jobs after one good upload", len(jobs))
	}
	if jv := getJob(t, api, jobs[0].JobID); !jv.HasInput || jv.InputFilename != "tickets.ndjson" || jv.InputBytes != int64(len(input)) {
		t.Fatalf("job after the upload: has_input %v, file %q, %d bytes", jv.HasInput, jv.InputFilename, jv.InputBytes)
	}
	p.noJSErrors()
}
