package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/store"
)

// reviewTexts is a small support-ticket file whose lines the builtin model answers with
// several labels and confidences.
func reviewTexts(n int) string {
	topics := []string{
		"I was charged twice on my invoice this month",
		"where is my parcel, the tracking number shows nothing",
		"the app crashes when I open the settings page",
		"please refund the payment for my cancelled order",
		"my package arrived damaged and late",
		"I cannot log in, the password reset email never comes",
		"hello, I have a question",
	}
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"text\":%q}\n", fmt.Sprintf("%s (ticket %d)", topics[i%len(topics)], i))
	}
	return b.String()
}

// completedJob creates a job with spec for key, uploads content, runs it and returns its id.
func (e *testEnv) completedJob(t *testing.T, key, spec, content string) string {
	t.Helper()
	created := e.createJob(t, key, spec)
	if r := e.upload(t, created, content, nil); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	id := created.str("job_id")
	if r := e.call(t, "POST", "/v1/batch/"+id+"/start", key, ""); r.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	e.waitStatus(t, key, id, "completed")
	return id
}

// answers maps a completed job's line indexes to their single labels.
func (e *testEnv) answers(t *testing.T, id string) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	sc := bufio.NewScanner(bytes.NewReader(e.results(t, id)))
	for sc.Scan() {
		var l struct {
			Index int64  `json:"index"`
			Label string `json:"label"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		out[l.Index] = l.Label
	}
	return out
}

func otherLabel(label string) string {
	if label == "billing" {
		return "shipping"
	}
	return "billing"
}

func TestReviews(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.completedJob(t, e.keyA, `{`+spec3+`}`, reviewTexts(100))
	answers := e.answers(t, id)
	path := func(i int) string { return fmt.Sprintf("/v1/batch/%s/lines/%d/review", id, i) }
	job, _ := e.db.Job(context.Background(), "", id)
	var audit []int
	for i := range 100 {
		if inAudit(job, int64(i)) {
			audit = append(audit, i)
		}
	}
	if len(audit) < 31 || len(audit) > 70 {
		t.Fatalf("%d of 100 lines are in the audit sample, want about half", len(audit))
	}

	// A correction: the true label, compared with the answer.
	r := e.call(t, "PUT", path(3), e.keyA, `{"label":"`+otherLabel(answers[3])+`"}`)
	if r.status != 200 {
		t.Fatalf("PUT review: %d %s", r.status, r.raw)
	}
	for k, want := range map[string]any{"index": 3.0, "label": otherLabel(answers[3]), "labels": nil, "ok": false,
		"answer": answers[3], "answer_labels": nil, "audit": inAudit(job, 3), "correct": false} {
		if got := r.body[k]; got != want {
			t.Errorf("review %s = %v, want %v: %s", k, got, want, r.raw)
		}
	}
	if !strings.HasSuffix(r.str("reviewed_at"), "Z") {
		t.Errorf("reviewed_at %q is not RFC 3339 UTC", r.str("reviewed_at"))
	}
	// A confirmation carries the answer as the true label.
	r = e.call(t, "PUT", path(5), e.keyA, `{"ok":true}`)
	if r.status != 200 || r.str("label") != answers[5] || r.body["correct"] != true || r.body["ok"] != true {
		t.Fatalf("PUT ok: %d %s", r.status, r.raw)
	}

	// Errors.
	wantError(t, e.call(t, "PUT", path(4), e.keyA, `{"label":"refunds"}`), 422, "VALIDATION_ERROR", "label")
	wantError(t, e.call(t, "PUT", path(4), e.keyA, `{"label":"billing","ok":true}`), 422, "VALIDATION_ERROR", "ok")
	wantError(t, e.call(t, "PUT", path(4), e.keyA, `{}`), 422, "VALIDATION_ERROR", "label")
	wantError(t, e.call(t, "PUT", path(4), e.keyA, `{"labels":["billing"]}`), 422, "VALIDATION_ERROR", "labels")
	wantError(t, e.call(t, "PUT", path(100), e.keyA, `{"label":"billing"}`), 404, "NOT_FOUND", "")
	wantError(t, e.call(t, "PUT", path(-1), e.keyA, `{"label":"billing"}`), 404, "NOT_FOUND", "")
	wantError(t, e.call(t, "PUT", "/v1/batch/"+id+"/lines/x/review", e.keyA, `{"label":"billing"}`), 422, "VALIDATION_ERROR", "index")
	wantError(t, e.call(t, "PUT", path(4), e.keyB, `{"label":"billing"}`), 404, "NOT_FOUND", "")
	pending := e.createJob(t, e.keyA, `{`+spec3+`}`).str("job_id")
	r = e.call(t, "PUT", "/v1/batch/"+pending+"/lines/0/review", e.keyA, `{"label":"billing"}`)
	wantError(t, r, 409, "CONFLICT", "")
	if !strings.Contains(r.str("message"), "completed job") {
		t.Errorf("409 message %q does not say reviews need a completed job", r.str("message"))
	}
	wantError(t, e.call(t, "GET", "/v1/batch/"+pending+"/review-queue?kind=worst", e.keyA, ""), 409, "CONFLICT", "")

	// The job view counts them; no estimate under 30 audited lines.
	v := e.call(t, "GET", "/v1/batch/"+id, e.keyA, "")
	rv, _ := v.body["review"].(map[string]any)
	if rv == nil || rv["reviewed"] != 2.0 || rv["audited"] != float64(boolInt(inAudit(job, 3))+boolInt(inAudit(job, 5))) || rv["accuracy"] != nil || rv["audit_to_halve"] != nil {
		t.Fatalf("job view review = %v", v.body["review"])
	}
	if p := e.call(t, "GET", "/v1/batch/"+pending, e.keyA, ""); p.body["review"] != nil {
		t.Errorf("a job without reviews has review %v, want null", p.body["review"])
	}

	// Paging and export.
	r = e.call(t, "GET", "/v1/batch/"+id+"/reviews?limit=1", e.keyA, "")
	data, _ := r.body["data"].([]any)
	if r.status != 200 || r.body["total"] != 2.0 || r.body["has_more"] != true || len(data) != 1 || data[0].(map[string]any)["index"] != 3.0 {
		t.Fatalf("reviews page: %d %s", r.status, r.raw)
	}
	r = e.call(t, "GET", "/v1/batch/"+id+"/reviews?offset=1", e.keyA, "")
	if data, _ := r.body["data"].([]any); len(data) != 1 || r.body["has_more"] != false || data[0].(map[string]any)["index"] != 5.0 {
		t.Fatalf("reviews page 2: %s", r.raw)
	}
	wantError(t, e.call(t, "GET", "/v1/batch/"+id+"/reviews?limit=0", e.keyA, ""), 422, "VALIDATION_ERROR", "limit")
	wantError(t, e.call(t, "GET", "/v1/batch/"+id+"/reviews?format=csv", e.keyA, ""), 422, "VALIDATION_ERROR", "format")
	for _, p := range []string{"/reviews", "/review-queue?kind=worst", "/changes"} {
		wantError(t, e.call(t, "GET", "/v1/batch/"+id+p, e.keyB, ""), 404, "NOT_FOUND", "")
	}
	wantError(t, e.call(t, "POST", "/v1/batch/"+id+"/rerun", e.keyB, ""), 404, "NOT_FOUND", "")
	wantError(t, e.call(t, "DELETE", path(3), e.keyB, ""), 404, "NOT_FOUND", "")
	r = e.call(t, "GET", "/v1/batch/"+id+"/reviews?format=ndjson", e.keyA, "")
	if ct := r.header.Get("Content-Type"); r.status != 200 || ct != "application/x-ndjson" {
		t.Fatalf("export: %d %q %s", r.status, ct, r.raw)
	}
	wantExport := fmt.Sprintf("{\"index\":3,\"label\":%q,\"text\":%q}\n{\"index\":5,\"label\":%q,\"text\":%q}\n",
		otherLabel(answers[3]), "please refund the payment for my cancelled order (ticket 3)", answers[5], "I cannot log in, the password reset email never comes (ticket 5)")
	if string(r.raw) != wantExport {
		t.Errorf("export =\n%s\nwant\n%s", r.raw, wantExport)
	}

	// Delete.
	if r := e.call(t, "DELETE", path(5), e.keyA, ""); r.status != 204 {
		t.Fatalf("DELETE review: %d %s", r.status, r.raw)
	}
	wantError(t, e.call(t, "DELETE", path(5), e.keyA, ""), 404, "NOT_FOUND", "")

	// 30 audited lines give an estimate.
	if r := e.call(t, "DELETE", path(3), e.keyA, ""); r.status != 204 {
		t.Fatal(r.status)
	}
	wrong := 0
	for n, i := range audit[:30] {
		body := `{"ok":true}`
		if n%4 == 0 {
			body = `{"label":"` + otherLabel(answers[int64(i)]) + `"}`
			wrong++
		}
		if r := e.call(t, "PUT", path(i), e.keyA, body); r.status != 200 || r.body["audit"] != true {
			t.Fatalf("PUT %d: %d %s", i, r.status, r.raw)
		}
	}
	rv, _ = e.call(t, "GET", "/v1/batch/"+id, e.keyA, "").body["review"].(map[string]any)
	acc, _ := rv["accuracy"].(map[string]any)
	if acc == nil || acc["audited"] != 30.0 || acc["estimate"] != float64(30-wrong)/30 {
		t.Fatalf("accuracy = %v, want %d/30", rv["accuracy"], 30-wrong)
	}
	if lo, hi := acc["low"].(float64), acc["high"].(float64); lo >= acc["estimate"].(float64) || hi <= acc["estimate"].(float64) || hi-lo > 0.4 {
		t.Errorf("interval [%v, %v] around %v", lo, hi, acc["estimate"])
	}
	if n, _ := rv["audit_to_halve"].(float64); n < 60 || n > 100 {
		t.Errorf("audit_to_halve = %v, want about 3 × 30", rv["audit_to_halve"])
	}
	// The list shows the summary too.
	list := e.call(t, "GET", "/v1/batch", e.keyA, "")
	for _, j := range list.body["data"].([]any) {
		if jm := j.(map[string]any); jm["job_id"] == id && jm["review"] == nil {
			t.Errorf("listed job lacks its review summary")
		}
	}

	// Deleting the job deletes its reviews.
	if r := e.call(t, "DELETE", "/v1/batch/"+id, e.keyA, ""); r.status != 200 {
		t.Fatalf("delete job: %d %s", r.status, r.raw)
	}
	if _, err := e.db.Reviews(context.Background(), "", id); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("reviews of the deleted job: %v", err)
	}
}

func TestReviewQueues(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.completedJob(t, e.keyA, `{`+spec3+`}`, reviewTexts(60))
	queue := func(q string) []map[string]any {
		t.Helper()
		r := e.call(t, "GET", "/v1/batch/"+id+"/review-queue?"+q, e.keyA, "")
		if r.status != 200 {
			t.Fatalf("queue %s: %d %s", q, r.status, r.raw)
		}
		var out []map[string]any
		for _, it := range r.body["data"].([]any) {
			out = append(out, it.(map[string]any))
		}
		return out
	}
	worst := queue("kind=worst&limit=9")
	if len(worst) != 9 {
		t.Fatalf("worst queue has %d lines, want 9", len(worst))
	}
	labels := map[string]bool{}
	for _, it := range worst {
		if it["text"] == "" || it["review"] != nil {
			t.Errorf("worst item %v", it)
		}
		labels[it["label"].(string)] = true
	}
	// Spread over the answered labels, least sure first within each.
	answered := map[string]bool{}
	for _, l := range e.answers(t, id) {
		answered[l] = true
	}
	if len(labels) != len(answered) {
		t.Errorf("worst queue covers labels %v, the job answered %v", labels, answered)
	}
	// The least sure line of all is first; once reviewed it goes to the back.
	all := queue("kind=worst&limit=200")
	first := all[0]
	for _, it := range all {
		if it["confidence"].(float64) < first["confidence"].(float64) {
			t.Fatalf("line %v is less sure than the first, %v", it, first)
		}
	}
	if r := e.call(t, "PUT", fmt.Sprintf("/v1/batch/%s/lines/%v/review", id, first["index"]), e.keyA, `{"ok":true}`); r.status != 200 {
		t.Fatal(r.status)
	}
	all = queue("kind=worst&limit=200")
	if all[0]["index"] == first["index"] || all[len(all)-1]["index"] != first["index"] || all[len(all)-1]["review"] == nil {
		t.Errorf("reviewed line %v is not last in the worst queue", first["index"])
	}

	// Audit: seeded, stable, every line of a small job in sample order, paged by offset.
	r := e.call(t, "GET", "/v1/batch/"+id+"/review-queue?kind=audit&limit=200", e.keyA, "")
	if r.num("seed") == 0 {
		t.Fatalf("audit queue without a seed: %s", r.raw)
	}
	a1, a2 := queue("kind=audit&limit=200"), queue("kind=audit&limit=200")
	j, _ := e.db.Job(context.Background(), "", id)
	inSample := 0
	for i := range int64(60) {
		inSample += boolInt(inAudit(j, i))
	}
	if len(a1) != inSample || inSample < 15 || inSample > 45 {
		t.Fatalf("audit queue of a 60-line job has %d lines, %d are in the sample: want them all, about half the job", len(a1), inSample)
	}
	inOrder := true
	for i := range a1 {
		if a1[i]["index"] != a2[i]["index"] {
			t.Fatal("the audit sample changed between two calls")
		}
		inOrder = inOrder && (i == 0 || a1[i]["index"].(float64) > a1[i-1]["index"].(float64))
	}
	if inOrder {
		t.Error("the audit sample is in file order, not a random order")
	}
	if page := queue("kind=audit&offset=10&limit=5"); len(page) != 5 || page[0]["index"] != a1[10]["index"] {
		t.Errorf("audit page at offset 10 = %v", page)
	}
	// The sample is read from the results once: with the results gone it is still served.
	if err := e.blobs.Delete(context.Background(), batch.OutputKey(id)); err != nil {
		t.Fatal(err)
	}
	if again := queue("kind=audit&limit=200"); len(again) != len(a1) || again[0]["index"] != a1[0]["index"] {
		t.Errorf("audit queue after the results went: %d lines", len(again))
	}
	wantError(t, e.call(t, "GET", "/v1/batch/"+id+"/review-queue?kind=best", e.keyA, ""), 422, "VALIDATION_ERROR", "kind")
	wantError(t, e.call(t, "GET", "/v1/batch/"+id+"/review-queue?kind=audit&limit=201", e.keyA, ""), 422, "VALIDATION_ERROR", "limit")
}

// TestAuditSample: in a job larger than the sample, about auditSampleSize lines are in it,
// spread over the file, and the same for the same job id.
func TestAuditSample(t *testing.T) {
	j := &batch.Job{ID: "batch_0123456789abcdef", RequestsTotal: 100_000}
	n, firstHalf := 0, 0
	for i := range int64(100_000) {
		if inAudit(j, i) {
			n++
			if i < 50_000 {
				firstHalf++
			}
		}
	}
	if n < 900 || n > 1100 {
		t.Errorf("audit sample of 100,000 lines has %d, want about %d", n, auditSampleSize)
	}
	if firstHalf < n*4/10 || firstHalf > n*6/10 {
		t.Errorf("%d of %d sampled lines are in the file's first half", firstHalf, n)
	}
	other := &batch.Job{ID: "batch_fedcba9876543210", RequestsTotal: 100_000}
	same := 0
	for i := range int64(100_000) {
		if inAudit(j, i) && inAudit(other, i) {
			same++
		}
	}
	if same > 50 {
		t.Errorf("two jobs share %d audit lines: the seed does not depend on the job", same)
	}
}

// TestWilson checks the interval against values computed by hand and the halving count.
func TestWilson(t *testing.T) {
	lo, hi := wilson(24, 30)
	if d := lo - 0.627; d < -0.002 || d > 0.002 {
		t.Errorf("wilson(24, 30) low = %.4f, want 0.627", lo)
	}
	if d := hi - 0.905; d < -0.002 || d > 0.002 {
		t.Errorf("wilson(24, 30) high = %.4f, want 0.905", hi)
	}
	if n := auditToHalve(24, 30); n < 80 || n > 100 {
		t.Errorf("auditToHalve(24, 30) = %d, want about 90", n)
	}
	rs := make([]store.Review, 30)
	for i := range rs {
		rs[i] = store.Review{Index: int64(i), Audit: true, Correct: true}
	}
	if s := summarizeReviews(rs[:29]); s == nil || s.Accuracy != nil || s.AuditToHalve != nil {
		t.Errorf("29 audited lines give an estimate: %+v", s)
	}
	if s := summarizeReviews(rs); s == nil || s.Accuracy == nil || s.Accuracy.Estimate != 1 {
		t.Errorf("30 audited lines give no estimate: %+v", s)
	}
}

func TestRerun(t *testing.T) {
	e := newEnv(t, envOptions{})
	const n = 1200 // more lines than the audit sample, so some lines are outside it
	id := e.completedJob(t, e.keyA, `{`+spec3+`,"name":"tickets"}`, reviewTexts(n))
	answers := e.answers(t, id)
	wantError(t, e.call(t, "GET", "/v1/batch/"+id+"/changes", e.keyA, ""), 404, "NOT_FOUND", "")

	// Review audit lines and lines outside the sample; only the latter may become examples.
	j, _ := e.db.Job(context.Background(), "", id)
	var audit, outside []int64
	for i := int64(0); i < n && (len(audit) < 3 || len(outside) < 12); i++ {
		if inAudit(j, i) {
			audit = append(audit, i)
		} else {
			outside = append(outside, i)
		}
	}
	put := func(i int64, body string) {
		t.Helper()
		if r := e.call(t, "PUT", fmt.Sprintf("/v1/batch/%s/lines/%d/review", id, i), e.keyA, body); r.status != 200 {
			t.Fatalf("PUT %d: %d %s", i, r.status, r.raw)
		}
	}
	for _, i := range audit[:3] {
		put(i, `{"label":"technical support"}`)
	}
	// Ten confirmations and two corrections to "technical support": the corrections come
	// first, and at most eight lines per label are added.
	for _, i := range outside[:10] {
		put(i, `{"ok":true}`)
	}
	for _, i := range outside[10:12] {
		put(i, `{"label":"`+otherLabel(answers[i])+`"}`)
	}
	r := e.call(t, "POST", "/v1/batch/"+id+"/rerun", e.keyA, "")
	if r.status != http.StatusCreated || r.str("status") != "queued" || r.str("job_id") == "" {
		t.Fatalf("rerun: %d %s", r.status, r.raw)
	}
	nid := r.str("job_id")
	done := e.waitStatus(t, e.keyA, nid, "completed")
	if done.str("rerun_of") != id || done.str("name") != "tickets" {
		t.Errorf("rerun view rerun_of %q name %q", done.str("rerun_of"), done.str("name"))
	}
	spec := done.body["spec"].(map[string]any)
	examples, _ := spec["examples"].(map[string]any)
	total := 0
	var used []string
	for l, ex := range examples {
		if len(ex.([]any)) > maxRerunExamplesPerLabel {
			t.Errorf("label %s got %d examples, over %d", l, len(ex.([]any)), maxRerunExamplesPerLabel)
		}
		for _, x := range ex.([]any) {
			used = append(used, x.(string))
		}
		total += len(ex.([]any))
	}
	added := 0
	for _, v := range r.body["examples_added"].(map[string]any) {
		added += int(v.(float64))
	}
	if total == 0 || total != added {
		t.Errorf("the rerun's spec has %d examples, examples_added says %d", total, added)
	}
	for _, i := range audit[:3] {
		for _, x := range used {
			if strings.Contains(x, fmt.Sprintf("(ticket %d)", i)) {
				t.Errorf("audit line %d was used as an example: %q", i, x)
			}
		}
	}
	for _, i := range outside[10:12] {
		found := false
		for _, x := range used {
			found = found || strings.HasSuffix(x, fmt.Sprintf("(ticket %d)", i))
		}
		if !found {
			t.Errorf("correction of line %d is not among the examples %q", i, used)
		}
	}
	// The same input, without an upload: the same number of results.
	if got := len(e.answers(t, nid)); got != n {
		t.Errorf("rerun has %d results, want %d", got, n)
	}

	ch := e.call(t, "GET", "/v1/batch/"+nid+"/changes", e.keyA, "")
	if ch.status != 200 || ch.str("rerun_of") != id {
		t.Fatalf("changes: %d %s", ch.status, ch.raw)
	}
	moved := 0
	newAnswers := e.answers(t, nid)
	for i, l := range answers {
		if newAnswers[i] != l {
			moved++
		}
	}
	if int(ch.num("moved")) != moved {
		t.Errorf("changes moved = %v, counted %d", ch.num("moved"), moved)
	}
	audit3, _ := ch.body["audit"].(map[string]any)
	if audit3 == nil || audit3["lines"] != 3.0 {
		t.Errorf("changes audit = %v, want 3 lines", ch.body["audit"])
	}

	// Saving the rerun's spec as a classifier keeps its examples.
	save, _ := json.Marshal(map[string]any{"name": "tickets", "labels": spec["labels"], "examples": examples})
	sv := e.call(t, "POST", "/v1/classifiers", e.keyA, string(save))
	if sv.status != http.StatusCreated {
		t.Fatalf("save: %d %s", sv.status, sv.raw)
	}
	if ex, _ := sv.body["examples"].(map[string]any); len(ex) != len(examples) {
		t.Errorf("saved classifier examples %v, want %v", sv.body["examples"], examples)
	}

	// With an active job the rerun stays pending and says so.
	busy := e.createJob(t, e.keyA, `{`+spec3+`}`)
	e.upload(t, busy, reviewTexts(2000), nil)
	e.srv.runner.(*batch.Runner).Shutdown(context.Background())
	if r := e.call(t, "POST", "/v1/batch/"+busy.str("job_id")+"/start", e.keyA, ""); r.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	r = e.call(t, "POST", "/v1/batch/"+id+"/rerun", e.keyA, "")
	if r.status != http.StatusCreated || r.str("status") != "pending" || !strings.Contains(r.str("message"), "/start") {
		t.Fatalf("rerun with an active job: %d %s", r.status, r.raw)
	}
	wantError(t, e.call(t, "GET", "/v1/batch/"+r.str("job_id")+"/changes", e.keyA, ""), 409, "CONFLICT", "")
	wantError(t, e.call(t, "POST", "/v1/batch/"+busy.str("job_id")+"/rerun", e.keyA, ""), 409, "CONFLICT", "")
}

// TestReviewsMulti: a multi-label job takes {"labels": [...]} (an empty list is "none of
// them"), compares sets, and exports "labels".
func TestReviewsMulti(t *testing.T) {
	e := newEnv(t, envOptions{})
	id := e.completedJob(t, e.keyA, `{`+spec3+`,"mode":"multi"}`, reviewTexts(20))
	path := func(i int) string { return fmt.Sprintf("/v1/batch/%s/lines/%d/review", id, i) }
	r := e.call(t, "PUT", path(0), e.keyA, `{"labels":["billing","shipping"]}`)
	if r.status != 200 || r.str("label") != "" {
		t.Fatalf("PUT labels: %d %s", r.status, r.raw)
	}
	if got, _ := r.body["labels"].([]any); len(got) != 2 {
		t.Errorf("labels = %v", r.body["labels"])
	}
	if _, ok := r.body["answer_labels"].([]any); !ok {
		t.Errorf("answer_labels = %v, want a list", r.body["answer_labels"])
	}
	r = e.call(t, "PUT", path(1), e.keyA, `{"labels":[]}`)
	if got, ok := r.body["labels"].([]any); r.status != 200 || !ok || len(got) != 0 {
		t.Fatalf("PUT none of them: %d %s", r.status, r.raw)
	}
	r = e.call(t, "PUT", path(2), e.keyA, `{"ok":true}`)
	if r.status != 200 || r.body["correct"] != true {
		t.Fatalf("PUT ok: %d %s", r.status, r.raw)
	}
	wantError(t, e.call(t, "PUT", path(3), e.keyA, `{"label":"billing"}`), 422, "VALIDATION_ERROR", "label")
	wantError(t, e.call(t, "PUT", path(3), e.keyA, `{"labels":["billing","billing"]}`), 422, "VALIDATION_ERROR", "labels")
	wantError(t, e.call(t, "PUT", path(3), e.keyA, `{"labels":["refunds"]}`), 422, "VALIDATION_ERROR", "labels")
	wantError(t, e.call(t, "PUT", path(3), e.keyA, `{"labels":"billing"}`), 422, "VALIDATION_ERROR", "labels")
	r = e.call(t, "GET", "/v1/batch/"+id+"/reviews?format=ndjson", e.keyA, "")
	first, _, _ := strings.Cut(string(r.raw), "\n")
	if !strings.Contains(first, `"labels":["billing","shipping"]`) || strings.Contains(first, `"label":`) {
		t.Errorf("multi export line %s", first)
	}
}

// TestRerunExamples: per label, corrections before confirmations, the least confident
// first, at most maxRerunExamplesPerLabel, never an audit line; a multi-label review is an
// example of each of its labels, and "none of them" of none.
func TestRerunExamples(t *testing.T) {
	var rs []store.Review
	for i := range 12 {
		rs = append(rs, store.Review{Index: int64(i), Label: "billing", Answer: "billing", Correct: true, Confidence: 0.5 + float64(i)/100})
	}
	rs = append(rs,
		store.Review{Index: 20, Label: "billing", Answer: "sales", Confidence: 0.9},
		store.Review{Index: 21, Label: "billing", Answer: "sales", Confidence: 0.1, Audit: true},
		store.Review{Index: 22, Labels: []string{"sales", "technical"}, AnswerLabels: []string{"sales"}},
		store.Review{Index: 23, Labels: []string{}, AnswerLabels: []string{"sales"}},
	)
	per, all := rerunExamples(rs)
	if want := []int64{20, 0, 1, 2, 3, 4, 5, 6}; fmt.Sprint(per["billing"]) != fmt.Sprint(want) {
		t.Errorf("billing examples %v, want %v (the correction first, then the least confident confirmations)", per["billing"], want)
	}
	if fmt.Sprint(per["sales"]) != "[22]" || fmt.Sprint(per["technical"]) != "[22]" || len(per) != 3 {
		t.Errorf("examples %v", per)
	}
	if fmt.Sprint(all) != "[0 1 2 3 4 5 6 20 22]" {
		t.Errorf("all example lines %v", all)
	}
}
