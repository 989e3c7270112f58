package main

import (
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserReview walks issue 26's review loop in Chromium against the whole appliance:
// on a completed job, correct a line and confirm another in the results explorer (each
// checked against GET /reviews); open both review queues (their lines and the audit seed
// checked against the API); with 40 audit lines reviewed through the API, the accuracy
// estimate, its interval, "more audit lines would halve the interval" and per-label
// precision as the job view has them; export the corrections (as many lines as the API's
// NDJSON); rerun with corrections and, on the new job's page, what changed, as
// GET /changes has it; a multi-label line corrected with its checkboxes; the System page, hidden from a user key and shown to an admin
// key with every account's jobs. No JavaScript errors; screenshots as TestBrowserConsole.
func TestBrowserReview(t *testing.T) {
	if testing.Short() {
		t.Skip("browser walk skipped in -short mode")
	}
	_ = chromiumPath(t)
	shots := screenshotDir(t)
	cfg := testConfig(t, t.TempDir())
	cfg.Auth.Keys = append(cfg.Auth.Keys, "admin:"+adminKey)
	m := startMain(t, cfg)
	defer m.Close()
	base := m.URL
	api := newClient(t, base, acmeKey)
	admin := newClient(t, base, adminKey)
	started := time.Now()
	step := func(name string) { t.Logf("%6.1fs %s", time.Since(started).Seconds(), name) }
	labels := []string{"billing", "technical", "sales"}

	// A completed job, made through the API: the walk is about what comes after.
	job := api.createJob(map[string]any{"name": "Review walk", "labels": labels})
	api.runJob(job, browserInput())
	id := job.JobID
	// Another account's job, for the admin's list.
	betaJob := newClient(t, base, betaKey).createJob(map[string]any{"labels": []string{"a", "b"}})

	p := newTab(t, base, shots)
	p.do("open the console", 20*time.Second, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("key-input")))
	p.do("paste the key", 10*time.Second, chromedp.SetValue(chromedp.ID("key-input"), acmeKey), chromedp.Click(chromedp.ID("key-submit")))
	p.wait("the jobs list", `document.querySelector('#jobs-table')`, 10*time.Second)
	if jsEval[bool](p, `!document.getElementById('nav-system').hidden`) {
		t.Error("a user key is shown the System page")
	}

	// 1. Correct a line and confirm another in the explorer.
	step("correct and confirm in the explorer")
	p.goTo("#/job/" + id)
	p.waitExplorer("the explorer with answers", 0, "|")
	p.wait("the review controls", `document.querySelectorAll('#lines-table tbody tr[data-index] .rv').length > 10`, 10*time.Second)
	rows := p.explorerRows()
	var fix, ok explorerRow
	fix.Index, ok.Index = -1, -1
	for _, r := range rows {
		switch {
		case r.Label == "":
		case fix.Index < 0:
			fix = r
		case ok.Index < 0:
			ok = r
		}
	}
	if ok.Index < 0 {
		t.Fatalf("no two answered lines on the explorer's first page: %v", rows)
	}
	to := labels[(slices.Index(labels, fix.Label)+1)%len(labels)]
	p.setValue(fmt.Sprintf(`#lines-table tr[data-index="%d"] .rv-label`, fix.Index), to)
	p.wait("the corrected line", fmt.Sprintf(`document.querySelector('#lines-table tr[data-index="%d"] .rv').dataset.state === 'corrected'`, fix.Index), 10*time.Second)
	p.click(fmt.Sprintf(`#lines-table tr[data-index="%d"] .rv-ok`, ok.Index))
	p.wait("the confirmed line", fmt.Sprintf(`document.querySelector('#lines-table tr[data-index="%d"] .rv').dataset.state === 'confirmed'`, ok.Index), 10*time.Second)
	rvs := reviewsOf(t, api, id)
	if r := rvs[fix.Index]; r == nil || r["label"] != to || r["correct"] != false || r["answer"] != fix.Label {
		t.Errorf("review of the corrected line %d: %v, want label %s over the answer %s", fix.Index, r, to, fix.Label)
	}
	if r := rvs[ok.Index]; r == nil || r["ok"] != true || r["label"] != ok.Label || r["correct"] != true {
		t.Errorf("review of the confirmed line %d: %v, want ok with label %s", ok.Index, r, ok.Label)
	}
	p.screenshot("30-review-explorer-1280")

	// 2. Both queues, as the API has them.
	step("the review queues")
	for _, kind := range []string{"worst", "audit"} {
		p.click("#rq-" + kind)
		p.wait("the "+kind+" queue", fmt.Sprintf(`(() => { const l = document.getElementById('rq-list'); return l && l.dataset.kind === '%s' && !document.getElementById('review').classList.contains('busy'); })()`, kind), 10*time.Second)
		var q struct {
			Seed *uint64 `json:"seed"`
			Data []struct {
				Index int `json:"index"`
			} `json:"data"`
		}
		if code, _ := api.do("GET", "/v1/batch/"+id+"/review-queue?kind="+kind+"&limit=20", nil, &q); code != 200 {
			t.Fatalf("review-queue %s: %d", kind, code)
		}
		var want []int
		for _, it := range q.Data {
			want = append(want, it.Index)
		}
		got := jsEval[[]int](p, `[...document.querySelectorAll('#rq-list .rq-item')].map((li) => +li.dataset.index)`)
		if len(want) == 0 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s queue on the page %v, the API's %v", kind, got, want)
		}
		about := jsEval[string](p, `document.getElementById('rq-about').textContent`)
		if kind == "audit" {
			// JavaScript numbers hold integers exactly up to 2^53; a larger seed is not shown.
			seeded := "seed fixed for this job"
			if q.Seed != nil && *q.Seed <= 1<<53 {
				seeded = fmt.Sprintf("seed fixed for this job (seed %d)", *q.Seed)
			}
			if q.Seed == nil || !strings.Contains(about, "uniform random sample") || !strings.Contains(about, seeded) {
				t.Errorf("the audit queue does not say it is a seeded random sample (seed %v): %q", q.Seed, about)
			}
		}
		p.screenshot("31-queue-" + kind + "-1280")
	}

	// 3. The estimate: 40 audit lines reviewed through the API (every fifth corrected).
	step("the accuracy estimate")
	var audit struct {
		Data []struct {
			Index  int            `json:"index"`
			Label  string         `json:"label"`
			Review map[string]any `json:"review"`
		} `json:"data"`
	}
	if code, _ := api.do("GET", "/v1/batch/"+id+"/review-queue?kind=audit&limit=200", nil, &audit); code != 200 {
		t.Fatalf("audit queue: %d", code)
	}
	n := 0
	for i, it := range audit.Data {
		if n == 40 {
			break
		}
		if it.Label == "" {
			continue
		}
		body := map[string]any{"ok": true}
		if i%5 == 4 {
			body = map[string]any{"label": labels[(slices.Index(labels, it.Label)+1)%len(labels)]}
		}
		if code, _ := api.do("PUT", fmt.Sprintf("/v1/batch/%s/lines/%d/review", id, it.Index), body, nil); code != 200 {
			t.Fatalf("review of audit line %d: %d", it.Index, code)
		}
		n++
	}
	if n < 30 {
		t.Fatalf("only %d answered audit lines to review", n)
	}
	var jv struct {
		Review struct {
			Reviewed int `json:"reviewed"`
			Audited  int `json:"audited"`
			Accuracy *struct {
				Estimate float64 `json:"estimate"`
				Low      float64 `json:"low"`
				High     float64 `json:"high"`
			} `json:"accuracy"`
			AuditToHalve *int                      `json:"audit_to_halve"`
			PerLabel     map[string]map[string]any `json:"per_label"`
		} `json:"review"`
	}
	api.do("GET", "/v1/batch/"+id, nil, &jv)
	if jv.Review.Accuracy == nil || jv.Review.AuditToHalve == nil {
		t.Fatalf("no estimate after %d audit lines: %+v", n, jv.Review)
	}
	pct := func(x float64) string { return fmt.Sprintf("%.0f%%", math.Round(x*100)) }
	p.wait("the estimate on the page", `document.getElementById('acc-estimate')`, 20*time.Second)
	est := jsEval[string](p, `document.getElementById('acc-estimate').textContent`)
	for _, want := range []string{pct(jv.Review.Accuracy.Estimate), pct(jv.Review.Accuracy.Low) + "–" + pct(jv.Review.Accuracy.High)} {
		if !strings.Contains(est, want) {
			t.Errorf("the estimate %q does not show %s", est, want)
		}
	}
	if h := jsEval[string](p, `document.getElementById('acc-halve').textContent`); !strings.Contains(h, fmt.Sprintf("%d more audit lines would halve the interval", *jv.Review.AuditToHalve)) {
		t.Errorf("halving note %q, the API says %d", h, *jv.Review.AuditToHalve)
	}
	perLabel := jsEval[[]string](p, `[...document.querySelectorAll('#acc-per-label tbody tr')].map((tr) => tr.dataset.label)`)
	if want := slices.Sorted(maps.Keys(jv.Review.PerLabel)); fmt.Sprint(slices.Sorted(slices.Values(perLabel))) != fmt.Sprint(want) {
		t.Errorf("per-label precision rows %v, the API's %v", perLabel, want)
	}
	p.screenshot("32-accuracy-1280")
	p.atPhoneWidth("accuracy", "32-accuracy-400")

	// 4. Export: the page saves what GET /reviews?format=ndjson answers.
	step("export")
	p.click("#export-link")
	p.wait("the export", `document.getElementById('export-note').textContent.includes('labelled lines') && document.getElementById('export-link').href.startsWith('blob:')`, 10*time.Second)
	req, _ := http.NewRequest("GET", base+"/v1/batch/"+id+"/reviews?format=ndjson", nil)
	req.Header.Set("Authorization", "Bearer "+acmeKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Count(strings.TrimSpace(string(raw)), "\n") + 1
	if note := jsEval[string](p, `document.getElementById('export-note').textContent`); resp.StatusCode != 200 || !strings.HasPrefix(note, fmt.Sprintf("%d labelled lines", lines)) ||
		lines != jv.Review.Reviewed {
		t.Errorf("export note %q; the API's export %d: %d lines; reviewed %d", note, resp.StatusCode, lines, jv.Review.Reviewed)
	}

	// 5. Rerun with corrections: the new job's page, and what changed once it completes.
	step("rerun")
	p.click("#rerun")
	p.wait("the new job's page", `location.hash.startsWith('#/job/') && location.hash !== '#/job/`+id+`'`, 20*time.Second)
	rerun := strings.TrimPrefix(jsEval[string](p, `location.hash`), "#/job/")
	var rv struct {
		RerunOf string `json:"rerun_of"`
	}
	api.do("GET", "/v1/batch/"+rerun, nil, &rv)
	if rv.RerunOf != id {
		t.Fatalf("the new job %s is a rerun of %q, want %s", rerun, rv.RerunOf, id)
	}
	if v := api.waitStatus(rerun, time.Minute, "completed", "failed"); v.Status != "completed" {
		t.Fatalf("rerun: %+v", v)
	}
	var ch struct {
		Moved        int `json:"moved"`
		MovedByLabel []struct {
			From  string `json:"from"`
			To    string `json:"to"`
			Lines int    `json:"lines"`
		} `json:"moved_by_label"`
		Audit *struct {
			Lines  int     `json:"lines"`
			Before float64 `json:"before"`
			After  float64 `json:"after"`
		} `json:"audit"`
	}
	if code, _ := api.do("GET", "/v1/batch/"+rerun+"/changes", nil, &ch); code != 200 {
		t.Fatalf("changes: %d", code)
	}
	p.wait("what changed", `document.getElementById('changes-moved')`, 20*time.Second)
	if got := jsEval[string](p, `document.getElementById('changes-moved').textContent`); !strings.HasPrefix(got, fmt.Sprint(ch.Moved)+" line") {
		t.Errorf("moved on the page %q, the API's %d", got, ch.Moved)
	}
	if got := jsEval[int](p, `document.querySelectorAll('#changes-table tbody tr').length`); got != len(ch.MovedByLabel) {
		t.Errorf("%d from→to rows on the page, the API has %d", got, len(ch.MovedByLabel))
	}
	if ch.Audit == nil {
		t.Errorf("no audit comparison after %d audit reviews", n)
	} else if got := jsEval[string](p, `document.getElementById('changes-audit').textContent`); !strings.Contains(got, pct(ch.Audit.Before)+" before") || !strings.Contains(got, pct(ch.Audit.After)+" after") {
		t.Errorf("audit comparison %q, the API's %+v", got, *ch.Audit)
	}
	p.screenshot("33-rerun-changes-1280")

	// 6. A multi-label job: a line's labels are corrected with checkboxes.
	step("multi-label correction")
	multiJob := api.createJob(map[string]any{"labels": labels, "mode": "multi", "threshold": 0.2})
	api.runJob(multiJob, browserInput())
	p.goTo("#/job/" + multiJob.JobID)
	p.waitExplorer("the multi-label explorer", 0, "|")
	p.wait("the checkboxes", `document.querySelectorAll('#lines-table tbody tr[data-index] .rv .rv-check').length > 10`, 10*time.Second)
	type multiRow struct {
		Index   int      `json:"index"`
		Checked []string `json:"checked"`
	}
	mr := jsEval[multiRow](p, `(() => {
		const tr = document.querySelector('#lines-table tbody tr[data-index] .rv').closest('tr');
		return { index: +tr.dataset.index, checked: [...tr.querySelectorAll('.rv-check:checked')].map((c) => c.value) };
	})()`)
	// The truth: the answer with its first label's box toggled.
	flip := labels[0]
	want := slices.DeleteFunc(slices.Clone(mr.Checked), func(l string) bool { return l == flip })
	if len(want) == len(mr.Checked) {
		want = append(want, flip)
	}
	p.click(fmt.Sprintf(`#lines-table tr[data-index="%d"] .rv-check[value=%q]`, mr.Index, flip))
	p.click(fmt.Sprintf(`#lines-table tr[data-index="%d"] .rv [data-act="save"]`, mr.Index))
	p.wait("the corrected labels", fmt.Sprintf(`document.querySelector('#lines-table tr[data-index="%d"] .rv').dataset.state === 'corrected'`, mr.Index), 10*time.Second)
	mrv := reviewsOf(t, api, multiJob.JobID)[mr.Index]
	var gotLabels []string
	if ls, ok := mrv["labels"].([]any); ok {
		for _, l := range ls {
			gotLabels = append(gotLabels, l.(string))
		}
	}
	if slices.Sort(want); fmt.Sprint(slices.Sorted(slices.Values(gotLabels))) != fmt.Sprint(want) || mrv["correct"] != false {
		t.Errorf("multi-label review of line %d: %v, want labels %v (the answer %v with %s toggled)", mr.Index, mrv, want, mr.Checked, flip)
	}
	p.screenshot("34-review-multi-1280")

	// 7. The System page, for an admin key only.
	step("system page")
	p.click("#forget")
	p.do("connect with the admin key", 10*time.Second, chromedp.WaitVisible(chromedp.ID("key-input")),
		chromedp.SetValue(chromedp.ID("key-input"), adminKey), chromedp.Click(chromedp.ID("key-submit")))
	p.wait("the System link", `!document.getElementById('nav-system').hidden`, 10*time.Second)
	p.click("#nav-system")
	p.wait("the system page", `document.getElementById('sys-facts') && document.querySelectorAll('#admin-jobs tbody tr').length >= 4`, 10*time.Second)
	var sys struct {
		Version string `json:"version"`
		Models  []struct {
			Name  string `json:"name"`
			Ready bool   `json:"ready"`
		} `json:"models"`
	}
	if code, _ := admin.do("GET", "/v1/admin/system", nil, &sys); code != 200 {
		t.Fatalf("system: %d", code)
	}
	if got := jsEval[string](p, `document.getElementById('sys-version').textContent`); !strings.HasPrefix(got, sys.Version) {
		t.Errorf("version on the page %q, the API's %q", got, sys.Version)
	}
	if got := jsEval[string](p, `document.getElementById('sys-storage').textContent`); !strings.HasPrefix(got, "local disk, ") || !strings.HasSuffix(got, " free") {
		t.Errorf("storage on the page %q", got)
	}
	var models []string
	for _, m := range sys.Models {
		models = append(models, fmt.Sprintf("%s:%v", m.Name, m.Ready))
	}
	if got := jsEval[[]string](p, `[...document.querySelectorAll('#sys-models tbody tr')].map((tr) => tr.dataset.model + ':' + tr.dataset.ready)`); fmt.Sprint(got) != fmt.Sprint(models) {
		t.Errorf("models on the page %v, the API's %v", got, models)
	}
	accounts := jsEval[map[string]string](p, `Object.fromEntries([...document.querySelectorAll('#admin-jobs tbody tr')].map((tr) => [tr.dataset.job, tr.dataset.account]))`)
	if accounts[id] != "acme" || accounts[rerun] != "acme" || accounts[multiJob.JobID] != "acme" || accounts[betaJob.JobID] != "beta" {
		t.Errorf("all accounts' jobs on the page: %v", accounts)
	}
	p.screenshot("35-system-1280")
	p.atPhoneWidth("system", "35-system-400")

	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range p.jsErrors {
		t.Errorf("JavaScript error: %s", e)
	}
}

// reviewsOf is every review of a job, by line index.
func reviewsOf(t *testing.T, c *client, id string) map[int]map[string]any {
	t.Helper()
	var res struct {
		Data []map[string]any `json:"data"`
	}
	if code, _ := c.do("GET", "/v1/batch/"+id+"/reviews?limit=200", nil, &res); code != 200 {
		t.Fatalf("reviews: %d", code)
	}
	out := map[int]map[string]any{}
	for _, r := range res.Data {
		out[int(r["index"].(float64))] = r
	}
	return out
}
