package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The web console (web/) walked in a real browser: Debian's Chromium driven by chromedp
// against the whole appliance on 127.0.0.1:0. .ci/install-chromium.sh installs Chromium;
// without it the test fails in CI (CI=true) and skips elsewhere.

// chromiumPath finds the browser: $CLASSER_CHROMIUM, then the usual names.
func chromiumPath(t *testing.T) string {
	t.Helper()
	cands := []string{os.Getenv("CLASSER_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			cands = append(cands, p)
		}
	}
	for _, p := range cands {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	msg := "Chromium not found (looked for $CLASSER_CHROMIUM, /usr/bin/chromium and chromium on PATH); install it with .ci/install-chromium.sh"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// screenshotDir is $CLASSER_SCREENSHOTS_DIR or ./.artifacts/screenshots, kept after the
// test so that people (and CI) can look at the pages. The .artifacts folder ignores itself.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("CLASSER_SCREENSHOTS_DIR")
	if dir == "" {
		dir = filepath.Join(".artifacts", "screenshots")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		ign := filepath.Join(".artifacts", ".gitignore")
		if _, err := os.Stat(ign); os.IsNotExist(err) {
			if err := os.WriteFile(ign, []byte("# test artifacts (browser_test.go); never committed\n*\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots: %s", abs)
	return abs
}

// tab is one browser tab on the console with the helpers the walk needs.
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string

	mu       sync.Mutex
	jsErrors []string // console.error calls, uncaught exceptions, non-network error log entries
	netLog   []string // network-level error log entries (an expected 401/404 lands here)
}

func newTab(t *testing.T, base, shots string) *tab {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate,MediaRouter,OptimizationHints"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("password-store", "basic"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	p := &tab{t: t, ctx: ctx, base: base, shots: shots}
	// Start the browser, then listen before the first navigation.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	if err := chromedp.Listen(ctx, p.onEvent); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *tab) onEvent(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range ev.Args {
				if a.Description != "" {
					parts = append(parts, a.Description)
				} else {
					parts = append(parts, string(a.Value))
				}
			}
			p.jsErrors = append(p.jsErrors, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			msg += " " + d.Exception.Description
		}
		p.jsErrors = append(p.jsErrors, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	case *cdplog.EventEntryAdded:
		e := ev.Entry
		if e.Level != cdplog.EntryLevelError {
			return
		}
		line := fmt.Sprintf("%s: %s %s", e.Source, e.Text, e.URL)
		if e.Source == cdplog.EntrySourceNetwork {
			p.netLog = append(p.netLog, line)
		} else {
			// CSP violations ("security") and the like are bugs of the page.
			p.jsErrors = append(p.jsErrors, line)
		}
	}
}

// do runs steps with a deadline; a failure saves a screenshot and the page text.
func (p *tab) do(what string, d time.Duration, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.fail(what, err)
	}
}

func (p *tab) fail(what string, err error) {
	p.t.Helper()
	p.screenshot("failure-" + strings.NewReplacer(" ", "-", "/", "-").Replace(what))
	text, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	p.t.Fatalf("%s: %v\npage text:\n%s\njs errors: %v", what, err, text, p.jsErrors)
}

// wait polls a JavaScript condition until it holds or the deadline passes (no fixed sleeps).
func (p *tab) wait(what, cond string, d time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, d)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!(`+cond+`)`, chromedp.WithPollingInterval(25*time.Millisecond))); err != nil {
		p.fail("waiting for "+what, err)
	}
}

func jsEval[T any](p *tab, expr string) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

func (p *tab) screenshot(name string) {
	p.t.Helper()
	// Let transitions (bar widths) settle; this is for the picture, not an assertion.
	// The whole page from the top, without the transient toast.
	_ = chromedp.Do(p.ctx, chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0); document.getElementById('toast').classList.remove('show');
		new Promise(r => requestAnimationFrame(() => setTimeout(r, 450)))`, chromedp.EvalAwaitPromise))
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	path := filepath.Join(p.shots, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
	}
}

// viewport resizes the window's layout; narrow windows also get a phone-like scale of 1.
func (p *tab) viewport(w, h int64) {
	p.t.Helper()
	p.do("resize", 10*time.Second, chromedp.EmulateViewport(w, h))
}

// noHorizontalScroll checks the page fits the window at the current width.
func (p *tab) noHorizontalScroll(where string) {
	p.t.Helper()
	if over := jsEval[float64](p, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		p.t.Errorf("%s: the page is %v px wider than the %v px window", where, over, jsEval[float64](p, `window.innerWidth`))
	}
}

func (p *tab) goTo(hash string) {
	p.t.Helper()
	p.do("navigate to "+hash, 10*time.Second, chromedp.Evaluate[chromedp.Void](`location.hash = `+quoteJS(hash)))
}

func quoteJS(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `'`, `\'`) + "'"
}

// browserInput is the file uploaded through the page: 30 lines, one blank and one broken,
// so the job page shows errors, the first 20 results and their input texts.
func browserInput() string {
	texts := []string{
		"I was charged twice for my subscription this month",
		"The app crashes every time I open the settings page",
		"Can I get a quote for 50 seats on the enterprise plan?",
		"Please refund the duplicate payment on my credit card",
		"Login fails with a 500 error since the last update",
		"Do you offer a discount for non-profit organisations?",
		"My invoice shows the wrong amount for last month",
		"The export times out after thirty seconds",
		"Who can I talk to about pricing for our team?",
	}
	var b strings.Builder
	for i := range 30 {
		switch i {
		case 4:
			b.WriteString("\n") // blank: skipped, no result
			continue
		case 11:
			b.WriteString(`{"id":"t-11","text": "broken` + "\n")
			continue
		}
		fmt.Fprintf(&b, `{"id":"t-%d","text":%q}`+"\n", i, texts[i%len(texts)])
	}
	return b.String()
}

// TestBrowserConsole walks the console: key, new job with three labels, upload through the
// page, live progress to completed, charts and first results, download compared byte for
// byte with the API's results, cancel and restart of a long job, delete, and the playground,
// with no JavaScript errors; it saves screenshots of every page at 1280 px and 400 px.
func TestBrowserConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walk skipped in -short mode")
	}
	_ = chromiumPath(t) // skip or fail before starting anything
	shots := screenshotDir(t)
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	// One worker keeps the long job of step 6 running long enough to watch, cancel and
	// restart it on any machine.
	cfg.Workers = 1
	m := startMain(t, cfg)
	defer m.Close()
	api := newClient(t, m.URL, acmeKey)
	p := newTab(t, m.URL, shots)

	inputPath := filepath.Join(t.TempDir(), "tickets.ndjson")
	if err := os.WriteFile(inputPath, []byte(browserInput()), 0o644); err != nil {
		t.Fatal(err)
	}

	// 1. The key gate: a wrong key is refused next to the field, the right one is kept.
	p.do("open the console", 20*time.Second, chromedp.Navigate(m.URL+"/"), chromedp.WaitVisible(chromedp.ID("key-input")))
	p.screenshot("01-key-1280")
	p.do("paste a wrong key", 10*time.Second,
		chromedp.SendKeys(chromedp.ID("key-input"), "sk-wrong"), chromedp.Click(chromedp.ID("key-submit")))
	p.wait("the wrong key refused", `document.getElementById('key-err').textContent.includes('not accepted')`, 10*time.Second)
	p.do("paste the key", 10*time.Second,
		chromedp.SetValue(chromedp.ID("key-input"), acmeKey), chromedp.Click(chromedp.ID("key-submit")))
	p.wait("the empty jobs list", `document.querySelector('.empty h2') && document.querySelector('.empty h2').textContent === 'No jobs yet'`, 10*time.Second)
	if got := jsEval[string](p, `sessionStorage.getItem('classer.apiKey')`); got != acmeKey {
		t.Fatalf("key in session storage %q", got)
	}

	// 2. New job: three labels, first with a duplicate so the API's error shows at the rows.
	p.do("open the new-job form", 10*time.Second, chromedp.Click(chromedp.CSS(`nav a[href="#/new"]`)), chromedp.WaitVisible(chromedp.ID("new-job")))
	p.do("fill labels", 10*time.Second,
		chromedp.Click(chromedp.ID("nj-add-label")),
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(1) .label-name`), "billing"),
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(1) .label-desc`), "invoices, charges, refunds and payments"),
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(2) .label-name`), "billing"),
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(3) .label-name`), "sales"),
		chromedp.SendKeys(chromedp.CSS(`#new-job .label-row:nth-child(3) .label-ex`), "Can I get a quote for 20 seats?\nWho do I talk to about pricing?"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{inputPath}),
	)
	p.wait("the chosen file", `document.getElementById('file-info').textContent.includes('tickets.ndjson')`, 10*time.Second)
	p.do("submit with a duplicate label", 10*time.Second, chromedp.Click(chromedp.ID("create-job")))
	p.wait("the duplicate-label error at its rows",
		`document.getElementById('nj-err-labels').textContent.includes('unique') && document.querySelectorAll('#new-job .label-row.invalid-row').length === 2`, 10*time.Second)
	p.screenshot("02-new-job-error-1280")
	if n := len(listJobs(t, api)); n != 0 {
		t.Fatalf("a refused spec created %d jobs", n)
	}
	p.do("fix the label", 10*time.Second,
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(2) .label-name`), "technical"),
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(2) .label-desc`), "bugs, crashes, errors and outages"),
		chromedp.SetValue(chromedp.ID("text_type"), "customer support tickets"),
		chromedp.Focus(chromedp.ID("create-job")))
	p.screenshot("02-new-job-1280")
	p.viewport(400, 860)
	p.noHorizontalScroll("new job at 400 px")
	p.screenshot("02-new-job-400")
	p.viewport(1280, 900)

	// 3. Create, upload through the page and start; the page moves to the job.
	p.do("create the job", 10*time.Second, chromedp.Click(chromedp.ID("create-job")))
	p.wait("the job page", `location.hash.startsWith('#/job/')`, 30*time.Second)
	id := strings.TrimPrefix(jsEval[string](p, `location.hash`), "#/job/")
	jobs := listJobs(t, api)
	if len(jobs) != 1 || jobs[0].JobID != id {
		t.Fatalf("jobs after create: %+v, page shows %s", jobs, id)
	}
	p.wait("completed", `document.querySelector('#view .badge.completed')`, time.Minute)
	p.wait("the charts", `document.querySelectorAll('#label-chart .hbar').length >= 2 && document.querySelectorAll('#confidence-chart rect.bar').length === 10`, 30*time.Second)
	v := api.waitStatus(id, 10*time.Second, "completed")
	if v.RequestsTotal != 29 || v.RequestsFailed != 1 {
		t.Fatalf("job %+v: want 29 lines, 1 failed", v)
	}

	// The label chart counts every result; the error bar holds the broken line.
	apiResults := api.download(id)
	res := parseResults(t, apiResults)
	var chartSum int
	for _, n := range jsEval[[]int](p, `[...document.querySelectorAll('#label-chart .hbar .val b')].map(b => +b.textContent.replace(/,/g, ''))`) {
		chartSum += n
	}
	if chartSum != len(res) {
		t.Errorf("label chart sums to %d, results have %d lines", chartSum, len(res))
	}
	if !jsEval[bool](p, `!!document.querySelector('#label-chart .hbar.error')`) {
		t.Error("no error bar for the broken line")
	}
	// The first 20 results, beside their input texts (the file is still in this tab).
	if n := jsEval[int](p, `document.querySelectorAll('#results-table tbody tr').length`); n != 20 {
		t.Errorf("%d result rows, want 20", n)
	}
	firstText := jsEval[string](p, `document.querySelector('#results-table tbody tr td.text').innerText`)
	if firstText != "I was charged twice for my subscription this month" {
		t.Errorf("first result's text %q", firstText)
	}
	firstLabel := jsEval[string](p, `document.querySelector('#results-table tbody tr .pill').textContent`)
	if firstLabel != res[0].Label {
		t.Errorf("first result on the page %q, API %q", firstLabel, res[0].Label)
	}
	if !jsEval[bool](p, `document.getElementById('results-note').textContent.includes('tickets.ndjson')`) {
		t.Error("results note does not name the uploaded file")
	}
	p.screenshot("03-job-completed-1280")

	// 4. Download: the page's link and the Download button both give the API's bytes.
	href := jsEval[string](p, `document.getElementById('download-url').href`)
	if got := httpGet(t, href); !bytes.Equal(got, apiResults) {
		t.Errorf("the page's download link gave %d bytes that differ from the API's %d", len(got), len(apiResults))
	}
	if got := p.downloadByButton(); !bytes.Equal(got, apiResults) {
		t.Errorf("the Download button saved %d bytes that differ from the API's %d:\n%s\nvs\n%s", len(got), len(apiResults), got, apiResults)
	}

	p.viewport(400, 860)
	p.noHorizontalScroll("job page at 400 px")
	p.screenshot("03-job-completed-400")
	p.viewport(1280, 900)

	// 5. A reload loses the uploaded file: results are shown alone, and the page says so.
	p.do("reload", 20*time.Second, chromedp.Reload())
	p.wait("results after reload", `document.querySelectorAll('#results-table tbody tr').length === 20`, 30*time.Second)
	if jsEval[bool](p, `!!document.querySelector('#results-table td.text')`) {
		t.Error("input texts shown although the file is not in this tab any more")
	}
	if !jsEval[bool](p, `document.getElementById('results-note').textContent.includes('only in the browser tab that uploaded')`) {
		t.Error("the page does not say why the input texts are missing")
	}

	// 6. A long job: live progress in the list, then cancel and restart on its page (first,
	// while it surely runs), then the list again for the pictures.
	long := startLongJob(t, api)
	longStarted := time.Now()
	defer func() {
		t.Logf("long job after %s: %+v", time.Since(longStarted), api.waitStatus(long, 0, "processing", "completed", "failed"))
	}()
	row := `document.querySelector('tr[data-job="` + long + `"]`
	p.goTo("#/jobs")
	p.wait("the long job processing in the list", row+` .badge.processing')`, 30*time.Second)
	p.wait("live progress", `(() => { const t = `+row+` .prog .sub span'); return t && /^[1-9][\d,]* \/ [\d,]+ lines$/.test(t.textContent); })()`, 30*time.Second)
	first := jsEval[string](p, row+` .prog .sub span').textContent`)
	p.wait("the progress to move without a reload", row+` .prog .sub span').textContent !== `+quoteJS(first), 30*time.Second)
	p.wait("throughput and time left", `/lines\/s/.test(`+row+` td[data-label="Throughput"]').textContent) && `+row+` td[data-label="Time left"]').textContent !== '—'`, 30*time.Second)

	p.do("open the long job", 10*time.Second, chromedp.Click(chromedp.CSS(`a[href="#/job/`+long+`"]`)), chromedp.WaitVisible(chromedp.ID("cancel")))
	t.Logf("cancelling the long job %s after it started", time.Since(longStarted))
	p.do("cancel", 10*time.Second, chromedp.Click(chromedp.ID("cancel")))
	p.wait("cancelled", `document.querySelector('#view .badge.failed') && document.getElementById('restart')`, 30*time.Second)
	if v := api.waitStatus(long, 5*time.Second, "failed"); v.Error == nil || *v.Error != "cancelled" {
		t.Errorf("after cancel: %+v", v)
	}
	p.screenshot("05-job-cancelled-1280")
	p.do("restart", 10*time.Second, chromedp.Click(chromedp.ID("restart")))
	p.wait("processing again", `document.querySelector('#view .badge.processing') || document.querySelector('#view .badge.completed')`, 30*time.Second)
	if v := api.waitStatus(long, 5*time.Second, "processing", "completed"); v.RequestsCompleted < 1 {
		t.Errorf("restarted job did not resume from its checkpoint: %+v", v)
	}
	// The job may go on running; closing the appliance checkpoints and stops it.
	p.screenshot("05-job-processing-1280")
	p.goTo("#/jobs")
	p.wait("the list", row+`')`, 10*time.Second)
	p.screenshot("04-jobs-1280")
	p.viewport(400, 860)
	p.noHorizontalScroll("jobs at 400 px")
	p.screenshot("04-jobs-400")
	p.viewport(1280, 900)

	// 7. Delete the first job from its page (with the inline confirmation).
	p.goTo("#/job/" + id)
	p.do("delete", 10*time.Second, chromedp.WaitVisible(chromedp.ID("delete")), chromedp.Click(chromedp.ID("delete")),
		chromedp.WaitVisible(chromedp.ID("confirm-delete")), chromedp.Click(chromedp.ID("confirm-delete")))
	p.wait("back on the list", `location.hash === '#/jobs' && document.querySelector('#jobs-table') && !document.querySelector('tr[data-job="`+id+`"]')`, 10*time.Second)
	if code, _ := api.do("GET", "/v1/batch/"+id, nil, nil); code != http.StatusNotFound {
		t.Errorf("deleted job answers %d", code)
	}

	// 8. Playground: classify the sample texts, then tag them with a low threshold.
	p.do("open the playground", 10*time.Second, chromedp.Click(chromedp.CSS(`nav a[href="#/playground"]`)), chromedp.WaitVisible(chromedp.ID("pg-run")))
	p.do("classify", 10*time.Second, chromedp.Click(chromedp.ID("pg-run")))
	p.wait("classify bars", `document.querySelectorAll('#pg-out .pg-item').length === 3 && document.querySelectorAll('#pg-out .pg-bar').length === 3`, 20*time.Second)
	labels := jsEval[[]string](p, `[...document.querySelectorAll('#pg-out .pg-bar .name')].map(n => n.textContent)`)
	for _, l := range labels {
		if l != "billing" && l != "technical" && l != "sales" {
			t.Errorf("playground label %q", l)
		}
	}
	if w := jsEval[string](p, `document.querySelector('#pg-out .pg-bar .fill').style.width`); w == "" || w == "0%" {
		t.Errorf("bar width %q", w)
	}
	p.do("tag mode", 10*time.Second,
		chromedp.Click(chromedp.CSS(`label:has(input[name="pg-mode"][value="tag"])`)),
		chromedp.WaitVisible(chromedp.ID("pg-threshold")),
		chromedp.SetValue(chromedp.ID("pg-threshold"), "0.05"),
		chromedp.Click(chromedp.ID("pg-run")))
	p.wait("tag bars", `document.querySelectorAll('#pg-out .pg-bar').length > 3`, 20*time.Second)
	p.screenshot("06-playground-1280")
	p.viewport(400, 860)
	p.noHorizontalScroll("playground at 400 px")
	p.screenshot("06-playground-400")
	p.viewport(1280, 900)

	// 9. No JavaScript errors anywhere on the way.
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.jsErrors {
		t.Errorf("JavaScript error: %s", e)
	}
	for _, e := range p.netLog {
		t.Logf("network log (expected for the wrong key and optional endpoints): %s", e)
	}
}

func listJobs(t *testing.T, c *client) []jobView {
	t.Helper()
	var res struct {
		Data []jobView `json:"data"`
	}
	if code, _ := c.do("GET", "/v1/batch?limit=100", nil, &res); code != http.StatusOK {
		t.Fatalf("list jobs: %d", code)
	}
	return res.Data
}

func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}

// downloadByButton clicks the page's Download button with downloads going to a temp
// folder and returns the saved file.
func (p *tab) downloadByButton() []byte {
	p.t.Helper()
	dir := p.t.TempDir()
	on := true
	if _, err := chromedp.CallBrowser(p.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &on,
	}); err != nil {
		p.t.Fatalf("set download behavior: %v", err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	progress := chromedp.BrowserEvents(ctx, browser.DownloadProgress)
	p.do("click Download", 10*time.Second, chromedp.Click(chromedp.ID("download")))
	for ev, err := range progress {
		if err != nil {
			p.fail("waiting for the download", err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				p.t.Fatal(err)
			}
			return b
		case browser.DownloadProgressStateCanceled:
			p.t.Fatal("the download was cancelled")
		}
	}
	p.fail("waiting for the download", ctx.Err())
	return nil
}

// startLongJob creates, uploads and starts a job big enough to be seen processing, so
// the page's live progress, cancel and restart can be exercised.
func startLongJob(t *testing.T, c *client) string {
	t.Helper()
	// Many labels make each line cost more, so the job runs for seconds however fast the
	// classifier gets, with an upload that stays small.
	labels := strings.Fields(`billing technical sales refund invoice payment pricing discount upgrade
		account login password security privacy shipping delivery return warranty order cancel
		feedback complaint praise bug crash error outage performance slow mobile desktop browser
		api integration export import report dashboard settings notification email phone chat
		contract renewal license trial onboarding training documentation feature request question
		urgent legal compliance partnership marketing careers press hardware network storage backup`)
	job := c.createJob(map[string]any{"labels": labels, "mode": "single"})
	if code, body := upload(t, job.UploadURL, allFields(job), newCorpus(7, 1_000_000)); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	return job.JobID
}
