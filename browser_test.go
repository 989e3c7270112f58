package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
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
		// Pictures of this run only: an old name would otherwise pass for a new page.
		old, _ := filepath.Glob(filepath.Join(dir, "*.png"))
		for _, f := range old {
			_ = os.Remove(f)
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

// darkScreenshot takes the page as a browser set to a dark colour scheme shows it.
func (p *tab) darkScreenshot(name string) {
	p.t.Helper()
	scheme := func(v string) {
		p.t.Helper()
		params := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}}
		if _, err := chromedp.Call(p.ctx, emulation.SetEmulatedMedia, params); err != nil {
			p.t.Fatalf("colour scheme %s: %v", v, err)
		}
	}
	scheme("dark")
	p.screenshot(name)
	scheme("")
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

// atPhoneWidth checks that the page fits a 400 px window, saves a screenshot of it there, and
// returns to the desktop size.
func (p *tab) atPhoneWidth(what, shot string) {
	p.t.Helper()
	p.viewport(400, 860)
	p.noHorizontalScroll(what + " at 400 px")
	p.screenshot(shot)
	p.viewport(1280, 900)
}

func (p *tab) goTo(hash string) {
	p.t.Helper()
	p.do("navigate to "+hash, 10*time.Second, chromedp.Evaluate[chromedp.Void](`location.hash = `+quoteJS(hash)))
}

// quoteJS is s as a JavaScript string literal (JSON's are).
func quoteJS(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// setValue sets a field's value as typing would end, with the input and change events
// the page listens to (chromedp.SetValue sets the property alone).
func (p *tab) setValue(css, value string) {
	p.t.Helper()
	p.do("set "+css, 10*time.Second, chromedp.Evaluate[chromedp.Void](`(() => {
		const el = document.querySelector(`+quoteJS(css)+`);
		if (!el) throw new Error('no element '+`+quoteJS(css)+`);
		el.value = `+quoteJS(value)+`;
		el.dispatchEvent(new Event('input', { bubbles: true }));
		el.dispatchEvent(new Event('change', { bubbles: true }));
	})()`))
}

func (p *tab) click(css string) {
	p.t.Helper()
	p.do("click "+css, 10*time.Second, chromedp.Click(chromedp.CSS(css)))
}

// browserTexts are the tickets of the uploaded file, cycled.
var browserTexts = []string{
	"I was charged twice for my subscription this month",
	"The app crashes every time I open the settings page",
	"Can I get a quote for 50 seats on the enterprise plan?",
	"Please refund the duplicate payment on my credit card",
	"Login fails with a 500 error since the last update",
	"Do you offer a discount for non-profit organisations?",
	"My invoice shows the wrong amount for last month",
	"The export times out after thirty seconds",
	"Who can I talk to about pricing for our team?",
	"The dashboard is very slow to load in the morning",
	"Why was my card declined when I renewed?",
	"We would like a demo before we buy more licences",
	"Pages take ages to load and sometimes show a blank screen",
	"I need a copy of the receipt for my expense report",
	"Is there an annual plan that costs less per month?",
}

// browserInput is the file uploaded through the page: 130 lines, one blank and one broken,
// so that the explorer has pages, the results an error, and the preview a real sample.
func browserInput() string {
	var b strings.Builder
	for i := range 130 {
		switch i {
		case 4:
			b.WriteString("\n") // blank: skipped, no result
			continue
		case 11:
			b.WriteString(`{"id":"t-11","text": "broken` + "\n")
			continue
		}
		fmt.Fprintf(&b, `{"id":"t-%d","text":%q}`+"\n", i, browserTexts[i%len(browserTexts)])
	}
	return b.String()
}

// The API answers the walk compares the page with.

type specView struct {
	Labels          []string            `json:"labels"`
	Descriptions    map[string]string   `json:"descriptions"`
	Examples        map[string][]string `json:"examples"`
	Mode            string              `json:"mode"`
	Threshold       *float64            `json:"threshold"`
	TextType        string              `json:"text_type"`
	Classifier      string              `json:"classifier"`
	Model           string              `json:"model"`
	LabelExpansions map[string][]string `json:"label_expansions"`
}

type fullJobView struct {
	jobView
	Name          string            `json:"name"`
	Metadata      map[string]string `json:"metadata"`
	InputFilename string            `json:"input_filename"`
	InputBytes    int64             `json:"input_bytes"`
	HasInput      bool              `json:"has_input"`
	Spec          specView          `json:"spec"`
}

func getJob(t *testing.T, c *client, id string) fullJobView {
	t.Helper()
	var v fullJobView
	if code, _ := c.do("GET", "/v1/batch/"+id, nil, &v); code != http.StatusOK {
		t.Fatalf("GET /v1/batch/%s: %d", id, code)
	}
	return v
}

type previewText struct {
	Index      int     `json:"index"`
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence"`
	RunnerUp   string  `json:"runner_up"`
}

type previewAnswer struct {
	SampleLines int `json:"sample_lines"`
	Labels      []struct {
		Label          string        `json:"label"`
		Count          int           `json:"count"`
		Share          float64       `json:"share"`
		MeanConfidence float64       `json:"mean_confidence"`
		Keywords       []string      `json:"keywords"`
		Examples       []previewText `json:"examples"`
		Borderline     []previewText `json:"borderline"`
	} `json:"labels"`
	Warnings []struct {
		Code    string   `json:"code"`
		Message string   `json:"message"`
		Labels  []string `json:"labels"`
	} `json:"warnings"`
}

func previewJob(t *testing.T, c *client, id string) previewAnswer {
	t.Helper()
	var a previewAnswer
	if code, _ := c.do("POST", "/v1/batch/"+id+"/preview", nil, &a); code != http.StatusOK {
		t.Fatalf("preview %s: %d", id, code)
	}
	return a
}

// previewStats is what a preview says of each label: its count and mean confidence.
func (a previewAnswer) stats() map[string]string {
	m := map[string]string{}
	for _, l := range a.Labels {
		m[l.Label] = fmt.Sprintf("%d|%v", l.Count, l.MeanConfidence)
	}
	return m
}

// pagePreview reads the preview the page shows: each label card's count and mean
// confidence, the sample size, and the texts listed.
type pagePreview struct {
	Sample int               `json:"sample"`
	Stats  map[string]string `json:"stats"`
	Texts  []int             `json:"texts"`
}

func (p *tab) preview(root string) pagePreview {
	p.t.Helper()
	return jsEval[pagePreview](p, `(() => {
		const pv = document.querySelector(`+quoteJS(root+` .preview`)+`);
		const stats = {};
		for (const c of pv.querySelectorAll('.pv-label')) stats[c.dataset.label] = c.dataset.count + '|' + Number(c.dataset.mean);
		return { sample: +pv.dataset.sample, stats, texts: [...pv.querySelectorAll('.pv-text')].map((li) => +li.dataset.index) };
	})()`)
}

// checkPreview compares the page's preview with the API's answer for the same spec.
func (p *tab) checkPreview(where, root string, want previewAnswer) {
	p.t.Helper()
	got := p.preview(root)
	if got.Sample != want.SampleLines {
		p.t.Errorf("%s: the page shows %d sample lines, the API %d", where, got.Sample, want.SampleLines)
	}
	ws := want.stats()
	for l, v := range ws {
		if got.Stats[l] != v {
			p.t.Errorf("%s: label %s on the page %q, API %q", where, l, got.Stats[l], v)
		}
	}
	if len(got.Stats) != len(ws) {
		p.t.Errorf("%s: the page shows %d labels, the API %d", where, len(got.Stats), len(ws))
	}
	var idx []int
	for _, l := range want.Labels {
		for _, x := range l.Examples {
			idx = append(idx, x.Index)
		}
		for _, x := range l.Borderline {
			idx = append(idx, x.Index)
		}
	}
	if fmt.Sprint(sortedInts(idx)) != fmt.Sprint(sortedInts(got.Texts)) {
		p.t.Errorf("%s: the page lists texts of lines %v, the API %v", where, sortedInts(got.Texts), sortedInts(idx))
	}
}

// warningKeys lists a preview's warnings as "code label…", sorted.
func warningKeys(a previewAnswer) []string {
	var out []string
	for _, w := range a.Warnings {
		out = append(out, strings.TrimSpace(w.Code+" "+strings.Join(w.Labels, " ")))
	}
	sort.Strings(out)
	return out
}

// warnings lists the warnings the page shows under root, as warningKeys does.
func (p *tab) warnings(root string) []string {
	p.t.Helper()
	out := jsEval[[]string](p, `[...document.querySelectorAll(`+quoteJS(root+` .pv-warning`)+`)].map((w) =>
		[w.dataset.code, ...[...w.querySelectorAll('.pv-wl .pill')].map((x) => x.textContent)].join(' '))`)
	sort.Strings(out)
	return out
}

func sortedInts(a []int) []int {
	b := append([]int(nil), a...)
	sort.Ints(b)
	return b
}

type linesAnswer struct {
	Lines []struct {
		Index      int     `json:"index"`
		Text       string  `json:"text"`
		Label      string  `json:"label"`
		Error      string  `json:"error"`
		Confidence float64 `json:"confidence"`
	} `json:"lines"`
	NextOffset *int `json:"next_offset"`
}

func getLines(t *testing.T, c *client, id, query string) linesAnswer {
	t.Helper()
	var a linesAnswer
	if code, _ := c.do("GET", "/v1/batch/"+id+"/lines?"+query, nil, &a); code != http.StatusOK {
		t.Fatalf("lines %s?%s: %d", id, query, code)
	}
	return a
}

// explorerRows reads the explorer's table: each row's line index, text, label and confidence.
type explorerRow struct {
	Index int     `json:"index"`
	Text  string  `json:"text"`
	Label string  `json:"label"`
	Conf  float64 `json:"conf"`
}

func (p *tab) explorerRows() []explorerRow {
	p.t.Helper()
	return jsEval[[]explorerRow](p, `[...document.querySelectorAll('#lines-table tbody tr[data-index]')].map((tr) => ({
		index: +tr.dataset.index,
		text: tr.querySelector('td.text').innerText,
		label: (tr.querySelector('td.res .pill') || {}).dataset ? tr.querySelector('td.res .pill').dataset.label || '' : '',
		conf: tr.dataset.confidence === '' ? -1 : +tr.dataset.confidence,
	}))`)
}

func rowIndexes(rows []explorerRow) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r.Index
	}
	return out
}

// waitExplorer waits for the explorer page at offset with the filter label|max and answers.
func (p *tab) waitExplorer(what string, offset int, filter string) {
	p.t.Helper()
	p.wait(what, fmt.Sprintf(`(() => { const b = document.querySelector('#lines-table tbody'); return b && b.dataset.answers === '1' && b.dataset.offset === '%d' && b.dataset.filter === %s && !document.getElementById('explorer').classList.contains('busy'); })()`, offset, quoteJS(filter)), 20*time.Second)
}

// TestBrowserConsole walks the console as a new user would, in Debian's Chromium against
// the whole appliance: the key gate; a named job with three labels, uploaded through the
// page; its preview on its own sample, compared with the API's; a fix (a description edited
// and a borderline text moved to its runner-up with one click) and the preview again,
// showing the change; start and completion; the results explorer in pages and filtered by
// label and by low confidence, compared with the results file; clone with edits; save as
// classifier (twice: two versions); the saved-classifiers, playground, usage and keys pages
// (a user key is told it is not an admin key; an admin key creates and revokes one); the
// jobs list with names, files, labels and a status filter; live progress, cancel and
// restart of a long job; delete. No JavaScript errors; screenshots at 1280 px and 400 px.
func TestBrowserConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walk skipped in -short mode")
	}
	_ = chromiumPath(t) // skip or fail before starting anything
	shots := screenshotDir(t)
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Auth.Keys = append(cfg.Auth.Keys, "admin:"+adminKey)
	// One worker keeps the long job of the last steps running long enough to watch,
	// cancel and restart it on any machine.
	cfg.Workers = 1
	// A second model, so that the forms offer a choice (a small word-vector file).
	cfg.Models = map[string]ModelConfig{"vec": {Kind: "static", Path: wordVectorsFile(t)}}
	m := startMain(t, cfg)
	defer m.Close()
	consoleWalk(t, m.URL, shots)
}

func consoleWalk(t *testing.T, base, shots string) {
	started := time.Now()
	api := newClient(t, base, acmeKey)
	p := newTab(t, base, shots)
	step := func(name string) { t.Logf("%6.1fs %s", time.Since(started).Seconds(), name) }

	inputPath := filepath.Join(t.TempDir(), "tickets.ndjson")
	if err := os.WriteFile(inputPath, []byte(browserInput()), 0o644); err != nil {
		t.Fatal(err)
	}

	// 1. The key gate: a wrong key is refused next to the field, the right one is kept.
	step("key gate")
	p.do("open the console", 20*time.Second, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("key-input")))
	p.screenshot("01-key-1280")
	p.do("paste a wrong key", 10*time.Second,
		chromedp.SendKeys(chromedp.ID("key-input"), "sk-wrong"), chromedp.Click(chromedp.ID("key-submit")))
	p.wait("the wrong key refused", `document.getElementById('key-err').textContent.includes('not accepted')`, 10*time.Second)
	p.do("paste the key", 10*time.Second,
		chromedp.SetValue(chromedp.ID("key-input"), acmeKey), chromedp.Click(chromedp.ID("key-submit")))
	p.wait("the empty jobs list", `document.querySelector('#jobs-empty h2') && document.querySelector('#jobs-empty h2').textContent === 'No jobs yet'`, 10*time.Second)
	if got := jsEval[string](p, `sessionStorage.getItem('classer.apiKey')`); got != acmeKey {
		t.Fatalf("key in session storage %q", got)
	}

	// 2. New job: a name, four labels (first with a duplicate, so the API's error shows
	// at the rows; "shipping", which none of the tickets is about), a text type, the file.
	step("new job")
	const jobName = "Support tickets, March"
	p.do("open the new-job form", 10*time.Second, chromedp.Click(chromedp.CSS(`nav a[href="#/new"]`)), chromedp.WaitVisible(chromedp.ID("new-job")))
	p.do("fill the form", 10*time.Second,
		chromedp.SendKeys(chromedp.ID("job-name"), jobName),
		chromedp.Click(chromedp.ID("nj-add-label")),
		chromedp.Click(chromedp.ID("nj-add-label")),
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(1) .label-name`), "billing"),
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(1) .label-desc`), "invoices, charges, refunds and payments"),
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(2) .label-name`), "billing"),
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(3) .label-name`), "sales"),
		chromedp.SendKeys(chromedp.CSS(`#new-job .label-row:nth-child(3) .label-ex`), "Can I get a quote for 20 seats?\nWho do I talk to about pricing?"),
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(4) .label-name`), "shipping"),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{inputPath}),
	)
	p.wait("the chosen file", `document.getElementById('file-info').textContent.includes('tickets.ndjson')`, 10*time.Second)
	p.click("#create-job")
	p.wait("the duplicate-label error at its rows",
		`document.getElementById('nj-err-labels').textContent.includes('unique') && document.querySelectorAll('#new-job .label-row.invalid-row').length === 2`, 10*time.Second)
	p.screenshot("02-new-job-error-1280")
	if n := len(listJobs(t, api)); n != 0 {
		t.Fatalf("a refused spec created %d jobs", n)
	}
	p.click(`details.more-opts summary`)
	p.setValue("#metadata", "team=support\nsource=zendesk")
	p.do("fix the label", 10*time.Second,
		chromedp.SetValue(chromedp.CSS(`#new-job .label-row:nth-child(2) .label-name`), "technical"),
		chromedp.SetValue(chromedp.ID("text_type"), "customer support tickets"),
		chromedp.Focus(chromedp.ID("create-job")))
	p.screenshot("02-new-job-1280")
	p.atPhoneWidth("new job", "02-new-job-400")

	// 3. Upload and preview: the page moves to the pending job and previews it on its
	// own sample; what it shows is the API's preview of the job.
	step("upload and preview")
	p.click("#create-job")
	p.wait("the job page with its preview", `location.hash.startsWith('#/job/') && document.querySelectorAll('#preview-card .pv-label').length === 4`, 60*time.Second)
	id := strings.TrimPrefix(jsEval[string](p, `location.hash`), "#/job/")
	jv := getJob(t, api, id)
	if jv.Status != "pending" || jv.Name != jobName || jv.InputFilename != "tickets.ndjson" || jv.InputBytes != int64(len(browserInput())) ||
		fmt.Sprint(jv.Metadata) != fmt.Sprint(map[string]string{"team": "support", "source": "zendesk"}) {
		t.Fatalf("job after upload and preview: status %s, name %q, file %q, %d bytes, metadata %v; want pending, %q, tickets.ndjson, %d bytes, team and source",
			jv.Status, jv.Name, jv.InputFilename, jv.InputBytes, jv.Metadata, jobName, len(browserInput()))
	}
	if got := jsEval[string](p, `document.querySelector('h1').textContent`); got != jobName {
		t.Errorf("job page title %q, want the job's name", got)
	}
	first := previewJob(t, api, id)
	p.checkPreview("first preview", "#preview-card", first)
	if n := jsEval[int](p, `document.querySelectorAll('#pv-dist .pv-seg').length`); n == 0 {
		t.Error("no distribution bar")
	}
	// The page shows the API's warnings (the playground below checks some are there).
	if got, want := p.warnings("#preview-card"), warningKeys(first); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("warnings on the page %v, the API's %v", got, want)
	}
	t.Logf("first preview: %v, warnings %v", first.stats(), warningKeys(first))
	p.screenshot("03-preview-1280")
	p.darkScreenshot("03-preview-dark-1280")
	p.atPhoneWidth("preview", "03-preview-400")

	// 4. Fix the labels: remove the unused "shipping", describe "technical", and move a
	// borderline text to its runner-up with one click. The move saves all three edits
	// (PATCH) and previews again.
	step("fix a label")
	const techDesc = "bugs, crashes, errors, outages and slow pages"
	p.click(`#spec-editor .label-row:nth-child(4) .remove-label`)
	p.setValue(`#spec-editor .label-row:nth-child(2) .label-desc`, techDesc)
	p.wait("unsaved changes", `document.getElementById('spec-state').classList.contains('dirty')`, 5*time.Second)
	type moveInfo struct {
		Text  string `json:"text"`
		To    string `json:"to"`
		From  string `json:"from"`
		Index int    `json:"index"`
	}
	mv := jsEval[moveInfo](p, `(() => {
		const b = [...document.querySelectorAll('#preview .pv-borderline .move-runner')].find((b) => b.dataset.to !== 'shipping');
		if (!b) return { text: '', to: '', from: '', index: -1 };
		b.dataset.pick = '1';
		const li = b.closest('.pv-text');
		return { text: li.querySelector('q').getAttribute('title'), to: b.dataset.to, from: b.closest('.pv-label').dataset.label, index: +li.dataset.index };
	})()`)
	if mv.Index < 0 {
		p.fail("finding a borderline text with a runner-up", fmt.Errorf("the preview lists none"))
	}
	t.Logf("moving line %d %q from %s to %s", mv.Index, mv.Text, mv.From, mv.To)
	p.do("mark the old preview", 5*time.Second, chromedp.Evaluate[chromedp.Void](`document.getElementById('preview').dataset.old = '1'`))
	p.click(`#preview .move-runner[data-pick]`)
	p.wait("the preview again", `(() => { const pv = document.getElementById('preview'); return pv && !pv.dataset.old && document.getElementById('pv-changes') && !document.getElementById('preview-run').disabled; })()`, 30*time.Second)
	jv = getJob(t, api, id)
	if want := []string{"billing", "technical", "sales"}; fmt.Sprint(jv.Spec.Labels) != fmt.Sprint(want) {
		t.Errorf("labels after the fix %v, want %v", jv.Spec.Labels, want)
	}
	if jv.Spec.Descriptions["technical"] != techDesc {
		t.Errorf("technical's description after the fix: %q", jv.Spec.Descriptions["technical"])
	}
	if !slices.Contains(jv.Spec.Examples[mv.To], mv.Text) {
		t.Errorf("the moved text is not an example of %s: %v", mv.To, jv.Spec.Examples)
	}
	for l, ex := range jv.Spec.Examples {
		if l != mv.To && slices.Contains(ex, mv.Text) {
			t.Errorf("the moved text is still an example of %s", l)
		}
	}
	if got := jsEval[string](p, `document.getElementById('spec-state').textContent`); got != "Saved" {
		t.Errorf("editor state after the preview: %q", got)
	}
	second := previewJob(t, api, id)
	p.checkPreview("preview after the fix", "#preview-card", second)
	if got, want := p.warnings("#preview-card"), warningKeys(second); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("warnings on the page after the fix %v, the API's %v", got, want)
	}
	if fmt.Sprint(first.stats()) == fmt.Sprint(second.stats()) {
		t.Errorf("the fix changed nothing in the preview: %v", second.stats())
	}
	p.screenshot("04-preview-fixed-1280")

	// 5. Start: the run uses the fixed spec; the page follows it to completed.
	step("start")
	p.click("#start")
	p.wait("completed", `document.querySelector('#view .badge.completed')`, time.Minute)
	p.wait("the charts", `document.querySelectorAll('#label-chart .hbar').length >= 3 && document.querySelectorAll('#confidence-chart rect.bar').length === 10`, 30*time.Second)
	v := api.waitStatus(id, 10*time.Second, "completed")
	if v.RequestsTotal != 129 || v.RequestsFailed != 1 {
		t.Fatalf("job %+v: want 129 lines, 1 failed", v)
	}
	apiResults := api.download(id)
	res := parseResults(t, apiResults)
	var chartSum int
	for _, n := range jsEval[[]int](p, `[...document.querySelectorAll('#label-chart .hbar .val b')].map(b => +b.textContent.replace(/,/g, ''))`) {
		chartSum += n
	}
	if chartSum != len(res) {
		t.Errorf("label chart sums to %d, results have %d lines", chartSum, len(res))
	}
	// The spec card shows what ran, and the metadata.
	if got := jsEval[string](p, `(document.querySelector('#spec-table tr[data-label="technical"] td[data-label="Description"]') || {}).textContent || ''`); got != techDesc {
		t.Errorf("spec card: technical's description %q", got)
	}
	if got := jsEval[[]string](p, `[...document.querySelectorAll('#job-metadata .chip')].map(c => c.textContent)`); fmt.Sprint(got) != "[source zendesk team support]" && fmt.Sprint(got) != "[team support source zendesk]" {
		t.Errorf("spec card: metadata %v", got)
	}

	// 6. The explorer: every line with its text and answer, in pages of 50.
	step("explorer")
	p.waitExplorer("the explorer with answers", 0, "|")
	byIndex := map[int]resultLine{}
	for _, r := range res {
		byIndex[int(r.Index)] = r
	}
	inputLines := strings.Split(browserInput(), "\n")
	textOf := func(i int) string {
		var o struct {
			Text string `json:"text"`
		}
		_ = json.Unmarshal([]byte(inputLines[i]), &o)
		return o.Text
	}
	checkRows := func(where string, rows []explorerRow, want []int) {
		t.Helper()
		if fmt.Sprint(rowIndexes(rows)) != fmt.Sprint(want) {
			t.Errorf("%s: rows of lines %v, want %v", where, rowIndexes(rows), want)
			return
		}
		for _, r := range rows {
			a := byIndex[r.Index]
			if a.Error == "" && (r.Label != a.Label || r.Conf != a.Confidence) {
				t.Errorf("%s: line %d shows %s %v, the results file %s %v", where, r.Index, r.Label, r.Conf, a.Label, a.Confidence)
			}
			if a.Error == "" && r.Text != textOf(r.Index) {
				t.Errorf("%s: line %d shows the text %q, the input has %q", where, r.Index, r.Text, textOf(r.Index))
			}
		}
	}
	var allIdx []int
	for _, r := range res {
		allIdx = append(allIdx, int(r.Index))
	}
	sort.Ints(allIdx)
	checkRows("first page", p.explorerRows(), allIdx[:50])
	page1 := getLines(t, api, id, "offset=0&limit=50")
	if page1.NextOffset == nil {
		t.Fatal("lines: no next_offset after the first 50 of 129 lines")
	}
	p.click("#ex-next")
	p.waitExplorer("the second page", *page1.NextOffset, "|")
	checkRows("second page", p.explorerRows(), allIdx[50:100])
	p.click("#ex-prev")
	p.waitExplorer("back to the first page", 0, "|")

	// By label: the label with the most lines; all its lines and no other.
	counts := map[string]int{}
	for _, r := range res {
		if r.Error == "" {
			counts[r.Label]++
		}
	}
	top := ""
	for l, n := range counts {
		if top == "" || n > counts[top] || n == counts[top] && l < top {
			top = l
		}
	}
	var want []int
	for _, i := range allIdx {
		if byIndex[i].Error == "" && byIndex[i].Label == top {
			want = append(want, i)
		}
	}
	p.setValue("#ex-label", top)
	p.click("#ex-apply")
	p.waitExplorer("filtered by label", 0, top+"|")
	checkRows("filtered by "+top, p.explorerRows(), want[:min(50, len(want))])
	p.screenshot("05-explorer-label-1280")

	// By low confidence: at or below a threshold that keeps some lines and not others.
	var confs []float64
	for _, r := range res {
		if r.Error == "" {
			confs = append(confs, r.Confidence)
		}
	}
	sort.Float64s(confs)
	thr := confs[len(confs)/4]
	if thr == confs[len(confs)-1] {
		t.Fatalf("every line has confidence %v: the low-confidence filter cannot be told apart", thr)
	}
	thrText := strconv.FormatFloat(thr, 'f', -1, 64)
	want = nil
	for _, i := range allIdx {
		if byIndex[i].Error == "" && byIndex[i].Confidence <= thr {
			want = append(want, i)
		}
	}
	p.setValue("#ex-label", "")
	p.setValue("#ex-maxconf", thrText)
	p.click("#ex-apply")
	p.waitExplorer("filtered by confidence", 0, "|"+thrText)
	rows := p.explorerRows()
	checkRows("confidence at or below "+thrText, rows, want[:min(50, len(want))])
	if len(rows) == 0 || len(rows) == len(res) {
		t.Errorf("the low-confidence filter kept %d of %d lines", len(rows), len(res))
	}
	p.screenshot("05-explorer-confidence-1280")
	p.atPhoneWidth("job page", "05-job-completed-400")

	// A reload (or any other tab) keeps the texts: they come from the API, not this tab.
	p.do("reload", 20*time.Second, chromedp.Reload())
	p.waitExplorer("the explorer after a reload", 0, "|")
	checkRows("after a reload", p.explorerRows(), allIdx[:50])
	p.screenshot("05-job-completed-1280")

	// 7. Download: the page's link and the Download button both give the API's bytes.
	href := jsEval[string](p, `document.getElementById('download-url').href`)
	if got := httpGet(t, href); !bytes.Equal(got, apiResults) {
		t.Errorf("the page's download link gave %d bytes that differ from the API's %d", len(got), len(apiResults))
	}
	if got := p.downloadByButton(); !bytes.Equal(got, apiResults) {
		t.Errorf("the Download button saved %d bytes that differ from the API's %d", len(got), len(apiResults))
	}

	// 8. Clone with edits: a new-job form with this job's name, labels, descriptions and
	// examples; one more description, the file again, and a new pending job with them.
	step("clone with edits")
	p.click("#clone")
	p.wait("the prefilled form", `document.getElementById('prefill-note') && !document.getElementById('prefill-note').hidden`, 10*time.Second)
	type formLabels struct {
		Name   string              `json:"name"`
		Labels []string            `json:"labels"`
		Descs  map[string]string   `json:"descs"`
		Ex     map[string][]string `json:"ex"`
	}
	form := jsEval[formLabels](p, `(() => {
		const rows = [...document.querySelectorAll('#new-job .label-row')];
		const o = { name: document.getElementById('job-name').value, labels: [], descs: {}, ex: {} };
		for (const r of rows) {
			const l = r.querySelector('.label-name').value;
			o.labels.push(l);
			o.descs[l] = r.querySelector('.label-desc').value;
			o.ex[l] = r.querySelector('.label-ex').value.split('\n').filter(Boolean);
		}
		return o;
	})()`)
	if form.Name != jobName+" (copy)" || fmt.Sprint(form.Labels) != fmt.Sprint(jv.Spec.Labels) || form.Descs["technical"] != techDesc || !slices.Contains(form.Ex[mv.To], mv.Text) {
		t.Errorf("clone form %+v does not hold the job's spec %+v", form, jv.Spec)
	}
	const salesDesc = "pricing, quotes, plans, licences and demos"
	p.setValue(`#new-job .label-row:nth-child(3) .label-desc`, salesDesc)
	p.setValue("#job-name", "Support tickets, March (sales described)")
	// The model: the source job's (the default) is preselected; the clone tries the other.
	p.wait("the model picker", `document.getElementById('model') && !document.getElementById('model').closest('.field').hidden`, 10*time.Second)
	if got := jsEval[string](p, `document.getElementById('model').value`); got != jv.Spec.Model {
		t.Errorf("clone form: model %q, the job's %q", got, jv.Spec.Model)
	}
	p.setValue("#model", "vec")
	p.do("choose the file", 10*time.Second, chromedp.SetUploadFiles(chromedp.ID("file"), []string{inputPath}))
	p.click("#create-job")
	p.wait("the clone's preview", `location.hash.startsWith('#/job/') && location.hash !== '#/job/`+id+`' && document.querySelectorAll('#preview-card .pv-label').length === 3`, 60*time.Second)
	clone := strings.TrimPrefix(jsEval[string](p, `location.hash`), "#/job/")
	cv := getJob(t, api, clone)
	if got := jsEval[string](p, `document.getElementById('js-model').value`); cv.Spec.Model != "vec" || got != "vec" {
		t.Errorf("the clone's model: %q in the API, %q on its page; want vec", cv.Spec.Model, got)
	}
	if cv.Name != "Support tickets, March (sales described)" || cv.Spec.Descriptions["sales"] != salesDesc || cv.Spec.Descriptions["technical"] != techDesc || !slices.Contains(cv.Spec.Examples[mv.To], mv.Text) {
		t.Errorf("the clone: name %q, spec %+v", cv.Name, cv.Spec)
	}

	// 9. Save as classifier, twice: the second save is version 2.
	step("save as classifier")
	p.goTo("#/job/" + id)
	p.wait("the completed job", `document.querySelector('#view .badge.completed') && document.getElementById('save-classifier')`, 10*time.Second)
	for v := 1; v <= 2; v++ {
		p.click("#save-classifier")
		p.wait("the save form", `document.getElementById('sc-name')`, 5*time.Second)
		if got := jsEval[string](p, `document.getElementById('sc-name').value`); got != "support-tickets-march" {
			t.Errorf("suggested classifier name %q", got)
		}
		p.click("#sc-submit")
		p.wait("saved", `document.getElementById('saved-note') && document.getElementById('saved-note').textContent.includes('support-tickets-march@v`+strconv.Itoa(v)+`')`, 10*time.Second)
	}
	var clf struct {
		Ref          string              `json:"ref"`
		Labels       []string            `json:"labels"`
		Descriptions map[string]string   `json:"descriptions"`
		Examples     map[string][]string `json:"examples"`
		TextType     string              `json:"text_type"`
	}
	if code, _ := api.do("GET", "/v1/classifiers/support-tickets-march", nil, &clf); code != http.StatusOK {
		t.Fatalf("saved classifier: %d", code)
	}
	if clf.Ref != "support-tickets-march@v2" || fmt.Sprint(clf.Labels) != fmt.Sprint(jv.Spec.Labels) ||
		fmt.Sprint(clf.Descriptions) != fmt.Sprint(jv.Spec.Descriptions) || fmt.Sprint(clf.Examples) != fmt.Sprint(jv.Spec.Examples) || clf.TextType != "customer support tickets" {
		t.Errorf("saved classifier %+v, job spec %+v", clf, jv.Spec)
	}

	// 10. Saved classifiers: the list, the versions, and "use in a new job".
	step("classifiers page")
	p.click(`nav a[href="#/classifiers"]`)
	card := `.clf[data-name="support-tickets-march"]`
	p.wait("the classifier's card", `document.querySelector('`+card+` .clf-version') && document.querySelector('`+card+` .clf-version').textContent === 'v2'`, 10*time.Second)
	p.click(card + ` .show-versions`)
	p.wait("its two versions", `document.querySelectorAll('`+card+` .versions-table tbody tr').length === 2`, 10*time.Second)
	p.screenshot("06-classifiers-1280")
	p.atPhoneWidth("classifiers", "06-classifiers-400")
	p.click(card + ` .use-clf`)
	p.wait("a new job from the classifier", `document.getElementById('classifier') && document.getElementById('classifier').value === 'support-tickets-march@v2' && !document.getElementById('classifier').closest('.field').hidden`, 10*time.Second)

	// 11. Playground: pick the saved classifier, preview the texts, classify, tag, and
	// carry the labels into a new job.
	step("playground")
	p.click(`nav a[href="#/playground"]`)
	p.wait("the classifier picker", `document.querySelector('#pg-classifier option[value="support-tickets-march@v2"]')`, 10*time.Second)
	p.setValue("#pg-classifier", "support-tickets-march@v2")
	p.wait("the classifier loaded", `document.getElementById('pg-classifier-note').textContent.startsWith('Loaded support-tickets-march@v2')`, 10*time.Second)
	if got := jsEval[[]string](p, `[...document.querySelectorAll('.pg .label-row .label-name')].map(x => x.value)`); fmt.Sprint(got) != fmt.Sprint(jv.Spec.Labels) {
		t.Errorf("playground: labels from the classifier %v, want %v", got, jv.Spec.Labels)
	}
	if got := jsEval[string](p, `document.querySelector('.pg .label-row:nth-child(2) .label-desc').value`); got != techDesc {
		t.Errorf("playground: technical's description from the classifier %q", got)
	}
	// A fourth label for three texts: in single mode one label at least gets none, so
	// the preview must warn that a label is unused.
	p.click("#pg-add-label")
	p.setValue(`.pg .label-row:nth-child(4) .label-name`, "shipping")
	p.click("#pg-preview")
	p.wait("the playground preview", `document.querySelectorAll('#pg-out .pv-label').length === 4`, 20*time.Second)
	pgTexts := strings.Split(jsEval[string](p, `document.getElementById('pg-texts').value`), "\n")
	var pgWant previewAnswer
	if code, _ := api.do("POST", "/v1/preview", map[string]any{"texts": pgTexts, "labels": append(slices.Clone(clf.Labels), "shipping"), "descriptions": clf.Descriptions, "examples": clf.Examples, "text_type": clf.TextType}, &pgWant); code != http.StatusOK {
		t.Fatalf("POST /v1/preview: %d", code)
	}
	p.checkPreview("playground preview", "#pg-out", pgWant)
	pgWarn := p.warnings("#pg-out")
	if fmt.Sprint(pgWarn) != fmt.Sprint(warningKeys(pgWant)) || !slices.ContainsFunc(pgWarn, func(w string) bool { return strings.HasPrefix(w, "label_unused ") }) {
		t.Errorf("playground warnings on the page %v, the API's %v (want a label_unused among them)", pgWarn, warningKeys(pgWant))
	}
	p.screenshot("07-playground-preview-1280")
	p.click("#pg-run")
	p.wait("classify bars", `document.querySelectorAll('#pg-out .pg-item').length === 3 && document.querySelectorAll('#pg-out .pg-bar').length === 3`, 20*time.Second)
	pgLabels := append(slices.Clone(clf.Labels), "shipping")
	for _, l := range jsEval[[]string](p, `[...document.querySelectorAll('#pg-out .pg-bar .name')].map(n => n.textContent)`) {
		if !slices.Contains(pgLabels, l) {
			t.Errorf("playground label %q", l)
		}
	}
	p.do("tag mode", 10*time.Second,
		chromedp.Click(chromedp.CSS(`label:has(input[name="pg-mode"][value="tag"])`)),
		chromedp.WaitVisible(chromedp.ID("pg-threshold")),
		chromedp.SetValue(chromedp.ID("pg-threshold"), "0.05"),
		chromedp.Click(chromedp.ID("pg-run")))
	p.wait("tag bars", `document.querySelectorAll('#pg-out .pg-bar').length > 3`, 20*time.Second)
	p.screenshot("07-playground-1280")
	p.atPhoneWidth("playground", "07-playground-400")
	p.click("#pg-use")
	p.wait("a new job with the playground's labels", `document.getElementById('new-job') && [...document.querySelectorAll('#new-job .label-row .label-name')].map(x => x.value).join(',') === `+quoteJS(strings.Join(pgLabels, ","))+` && document.querySelector('input[name="mode"][value="multi"]').checked`, 10*time.Second)

	// 12. Usage: tokens and cost per day; today's bar holds the account's tokens so far.
	step("usage")
	p.click(`nav a[href="#/usage"]`)
	p.wait("the usage chart", `document.querySelectorAll('#usage-chart g.day').length === 30`, 10*time.Second)
	var usage struct {
		Data []struct {
			Date   string  `json:"date"`
			Tokens int64   `json:"tokens"`
			Cost   float64 `json:"cost"`
		} `json:"data"`
		Total struct {
			Tokens int64 `json:"tokens"`
		} `json:"total"`
	}
	if code, _ := api.do("GET", "/v1/usage", nil, &usage); code != http.StatusOK || len(usage.Data) == 0 {
		t.Fatalf("usage: %d %+v", code, usage)
	}
	today := usage.Data[len(usage.Data)-1]
	if d := time.Now().UTC().Format("2006-01-02"); today.Date != d {
		t.Fatalf("usage: the last day with usage is %s, not today (%s)", today.Date, d)
	}
	// The bars, left to right, are the 30 days up to today, and today's holds its tokens.
	type dayBar struct {
		Date   string `json:"date"`
		Tokens string `json:"tokens"`
	}
	bars := jsEval[[]dayBar](p, `[...document.querySelectorAll('#usage-chart g.day')].map(g => ({ date: g.dataset.date, tokens: g.dataset.tokens }))`)
	for i, b := range bars {
		if want := time.Now().UTC().AddDate(0, 0, i-len(bars)+1).Format("2006-01-02"); b.Date != want {
			t.Errorf("usage chart: bar %d is %s, want %s", i, b.Date, want)
			break
		}
	}
	if got := bars[len(bars)-1].Tokens; got != strconv.FormatInt(today.Tokens, 10) {
		t.Errorf("usage chart: today's bar has %q tokens, the API %d", got, today.Tokens)
	}
	if today.Tokens == 0 || !jsEval[bool](p, `document.querySelector('#usage-chart g.day[data-date="`+today.Date+`"] rect.bar.batch').getAttribute('height') > 0`) {
		t.Errorf("usage chart: no batch bar for %s (%d tokens)", today.Date, today.Tokens)
	}
	if got := jsEval[string](p, `document.getElementById('usage-tokens').textContent.replace(/,/g, '')`); got != strconv.FormatInt(usage.Total.Tokens, 10) {
		t.Errorf("usage total on the page %q, API %d", got, usage.Total.Tokens)
	}
	p.screenshot("08-usage-1280")
	p.atPhoneWidth("usage", "08-usage-400")

	// 13. Keys: a user key is told clearly; an admin key lists, creates and revokes.
	step("keys")
	p.click(`nav a[href="#/keys"]`)
	p.wait("the not-an-admin message", `document.getElementById('keys-forbidden') && document.getElementById('keys-forbidden').textContent.includes('admin key')`, 10*time.Second)
	p.screenshot("09-keys-forbidden-1280")
	p.click("#forget")
	p.do("connect with the admin key", 10*time.Second, chromedp.WaitVisible(chromedp.ID("key-input")),
		chromedp.SetValue(chromedp.ID("key-input"), adminKey), chromedp.Click(chromedp.ID("key-submit")))
	p.wait("the keys table", `document.querySelectorAll('#keys-table tbody tr').length > 0`, 10*time.Second)
	admin := newClient(t, base, adminKey)
	var keys struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if code, _ := admin.do("GET", "/v1/keys", nil, &keys); code != http.StatusOK {
		t.Fatalf("keys: %d", code)
	}
	if n := jsEval[int](p, `document.querySelectorAll('#keys-table tbody tr').length`); n != len(keys.Data) {
		t.Errorf("keys table has %d rows, the API %d keys", n, len(keys.Data))
	}
	p.do("create a key", 10*time.Second, chromedp.SendKeys(chromedp.ID("key-account"), "gamma"), chromedp.Click(chromedp.ID("key-create")))
	p.wait("the new key, shown once", `document.getElementById('new-key') && document.getElementById('new-key').value.startsWith('sk-')`, 10*time.Second)
	secret := jsEval[string](p, `document.getElementById('new-key').value`)
	gamma := newClient(t, base, secret)
	if code, _ := gamma.do("GET", "/v1/batch", nil, nil); code != http.StatusOK {
		t.Errorf("the new key: GET /v1/batch %d", code)
	}
	p.wait("the new key in the table", `document.querySelectorAll('#keys-table tbody tr').length === `+strconv.Itoa(len(keys.Data)+1), 10*time.Second)
	p.screenshot("09-keys-1280")
	p.atPhoneWidth("keys", "09-keys-400")
	gammaRow := `[...document.querySelectorAll('#keys-table tbody tr')].find(tr => tr.querySelector('td[data-label="Account"]').textContent === 'gamma')`
	p.do("revoke it", 10*time.Second, chromedp.Evaluate[chromedp.Void](gammaRow+`.querySelector('.revoke').click()`))
	p.wait("the confirmation", gammaRow+`.querySelector('.confirm-revoke')`, 5*time.Second)
	p.do("confirm", 10*time.Second, chromedp.Evaluate[chromedp.Void](gammaRow+`.querySelector('.confirm-revoke').click()`))
	p.wait("revoked", gammaRow+`.classList.contains('revoked')`, 10*time.Second)
	if code, _ := gamma.do("GET", "/v1/batch", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("the revoked key: GET /v1/batch %d, want 401", code)
	}
	p.click("#forget")
	p.do("connect with the user key again", 10*time.Second, chromedp.WaitVisible(chromedp.ID("key-input")),
		chromedp.SetValue(chromedp.ID("key-input"), acmeKey), chromedp.Click(chromedp.ID("key-submit")))
	p.wait("the keys page again", `document.getElementById('keys-forbidden')`, 10*time.Second)

	// 14. The jobs list: names, files, labels, and the status filter (kept in the address).
	step("jobs list")
	p.click(`nav a[href="#/jobs"]`)
	jrow := `document.querySelector('tr[data-job="` + id + `"]`
	p.wait("the named job in the list", jrow+` .job-link') && `+jrow+` .job-link').textContent === `+quoteJS(jobName), 10*time.Second)
	if got := jsEval[string](p, jrow+` .file-name').textContent`); got != "tickets.ndjson" {
		t.Errorf("jobs list: file %q", got)
	}
	if got := jsEval[[]string](p, `[...`+jrow+`').querySelectorAll('.labels-cell .pill')].map(x => x.textContent)`); fmt.Sprint(got) != fmt.Sprint(jv.Spec.Labels) {
		t.Errorf("jobs list: labels %v, want %v", got, jv.Spec.Labels)
	}
	p.atPhoneWidth("jobs", "10-jobs-400")
	filterJobs := func(status string, want ...string) {
		t.Helper()
		cond := `[...document.querySelectorAll('#jobs-table tbody tr')].map(tr => tr.dataset.job).join(',') === ` + quoteJS(strings.Join(want, ","))
		if len(want) == 0 {
			cond = `document.getElementById('jobs-empty') && document.getElementById('jobs-empty').textContent.includes('No ` + status + ` jobs')`
		}
		p.wait("the jobs filtered by status "+status, `document.querySelector('input[name="status-filter"][value="`+status+`"]').checked && `+cond, 10*time.Second)
		if status != "" && !strings.HasSuffix(jsEval[string](p, `location.hash`), "status="+status) {
			t.Errorf("the status filter is not in the address: %s", jsEval[string](p, `location.hash`))
		}
	}
	for _, st := range []struct {
		status string
		want   []string
	}{{"completed", []string{id}}, {"pending", []string{clone}}, {"failed", nil}, {"", []string{clone, id}}} {
		p.click(`label:has(input[name="status-filter"][value="` + st.status + `"])`)
		filterJobs(st.status, st.want...)
		if st.status == "completed" {
			p.screenshot("10-jobs-completed-1280")
		}
	}

	// 15. A long job: live progress in the list, then cancel and restart on its page.
	step("long job")
	long := startLongJob(t, api)
	longStarted := time.Now()
	defer func() {
		t.Logf("long job after %s: %+v", time.Since(longStarted), api.waitStatus(long, 0, "processing", "completed", "failed"))
	}()
	// Opened by its address: the list of processing jobs, which loads at once.
	p.goTo("#/jobs?status=processing")
	lrow := `document.querySelector('tr[data-job="` + long + `"]`
	p.wait("the long job processing in the list", lrow+` .badge.processing') && document.querySelectorAll('#jobs-table tbody tr').length === 1`, 30*time.Second)
	p.wait("live progress", `(() => { const t = `+lrow+` .prog .sub span'); return t && /^[1-9][\d,]* \/ [\d,]+ lines$/.test(t.textContent); })()`, 30*time.Second)
	firstProg := jsEval[string](p, lrow+` .prog .sub span').textContent`)
	p.wait("the progress to move without a reload", lrow+` .prog .sub span').textContent !== `+quoteJS(firstProg), 30*time.Second)
	p.wait("throughput and time left", `/lines\/s/.test(`+lrow+` td[data-label="Throughput"]').textContent) && `+lrow+` td[data-label="Time left"]').textContent !== '—'`, 30*time.Second)
	p.screenshot("10-jobs-1280")
	p.do("open the long job", 10*time.Second, chromedp.Click(chromedp.CSS(`a[href="#/job/`+long+`"]`)), chromedp.WaitVisible(chromedp.ID("cancel")))
	t.Logf("cancelling the long job %s after it started", time.Since(longStarted))
	p.click("#cancel")
	p.wait("cancelled", `document.querySelector('#view .badge.failed') && document.getElementById('restart')`, 30*time.Second)
	if v := api.waitStatus(long, 5*time.Second, "failed"); v.Error == nil || *v.Error != "cancelled" {
		t.Errorf("after cancel: %+v", v)
	}
	p.screenshot("11-job-cancelled-1280")
	// The list filtered by the address alone (a bookmark) shows it among the failed.
	p.goTo("#/jobs?status=failed")
	filterJobs("failed", long)
	p.do("back to the long job", 10*time.Second, chromedp.Click(chromedp.CSS(`a[href="#/job/`+long+`"]`)), chromedp.WaitVisible(chromedp.ID("restart")))
	p.click("#restart")
	p.wait("processing again", `document.querySelector('#view .badge.processing') || document.querySelector('#view .badge.completed')`, 30*time.Second)
	if v := api.waitStatus(long, 5*time.Second, "processing", "completed"); v.RequestsCompleted < 1 {
		t.Errorf("restarted job did not resume from its checkpoint: %+v", v)
	}
	// The job may go on running; closing the appliance checkpoints and stops it.
	p.screenshot("11-job-processing-1280")

	// 16. Rename the clone, then delete it from its page (with the inline confirmation).
	step("rename and delete")
	p.goTo("#/job/" + clone)
	p.do("rename", 10*time.Second, chromedp.WaitVisible(chromedp.ID("rename")), chromedp.Click(chromedp.ID("rename")), chromedp.WaitVisible(chromedp.ID("rename-input")))
	p.setValue("#rename-input", "Clone, renamed")
	p.click("#rename-save")
	p.wait("the new name", `document.querySelector('h1').textContent === 'Clone, renamed' && !document.getElementById('rename-input')`, 10*time.Second)
	if got := getJob(t, api, clone).Name; got != "Clone, renamed" {
		t.Errorf("name after rename: %q", got)
	}
	p.do("delete", 10*time.Second, chromedp.WaitVisible(chromedp.ID("delete")), chromedp.Click(chromedp.ID("delete")),
		chromedp.WaitVisible(chromedp.ID("confirm-delete")), chromedp.Click(chromedp.ID("confirm-delete")))
	p.wait("back on the list", `location.hash === '#/jobs' && document.querySelector('#jobs-table') && !document.querySelector('tr[data-job="`+clone+`"]')`, 10*time.Second)
	if code, _ := api.do("GET", "/v1/batch/"+clone, nil, nil); code != http.StatusNotFound {
		t.Errorf("deleted job answers %d", code)
	}
	step("done")

	// 17. No JavaScript errors anywhere on the way.
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.jsErrors {
		t.Errorf("JavaScript error: %s", e)
	}
	for _, e := range p.netLog {
		t.Logf("network log (expected for the wrong key, the keys page's 403 and optional endpoints): %s", e)
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
	// Many labels (the most a spec takes) make each line cost more, so the job runs for
	// seconds however fast the classifier gets, with an upload that stays small: the walk
	// watches its progress for about two seconds before it cancels.
	labels := strings.Fields(`billing technical sales refund invoice payment pricing discount upgrade
		account login password security privacy shipping delivery return warranty order cancel
		feedback complaint praise bug crash error outage performance slow mobile desktop browser
		api integration export import report dashboard settings notification email phone chat
		contract renewal license trial onboarding training documentation feature request question
		urgent legal compliance partnership marketing careers press hardware network storage backup`)
	for i := len(labels); i < 200; i++ {
		labels = append(labels, fmt.Sprintf("topic %d", i))
	}
	job := c.createJob(map[string]any{"labels": labels, "mode": "single"})
	if code, body := upload(t, job.UploadURL, allFields(job), newCorpus(7, 1_000_000)); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	return job.JobID
}
