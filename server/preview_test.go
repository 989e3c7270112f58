package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/classifytest"
)

// previewInput is a job's input for the preview tests: support tickets of three kinds with
// distinct texts, a blank line every 25 and one bad line; texts[i] is line i's text ("" for
// the blank and the bad line).
func previewInput() (content string, texts []string) {
	kinds := [][]string{
		{"I was charged twice for invoice %d, please refund it", "my card was billed %d dollars too much this month", "where is the receipt for payment %d"},
		{"the app crashes with error %d when I open it", "server down again, page %d will not load", "login fails with a timeout after %d seconds"},
		{"what is the price for %d seats on the enterprise plan", "we want a demo and a quote for %d users", "discount for %d licenses if we buy this year?"},
	}
	var b strings.Builder
	for i := range 300 {
		switch {
		case i%25 == 24:
			b.WriteString("\n")
			texts = append(texts, "")
		case i == 100:
			b.WriteString("{not json\n")
			texts = append(texts, "")
		default:
			t := fmt.Sprintf(kinds[i%3][(i/3)%3], i)
			fmt.Fprintf(&b, "{\"id\":\"t%d\",\"text\":%q}\n", i, t)
			texts = append(texts, t)
		}
	}
	return b.String(), texts
}

// TestPreviewLoop walks the loop over real HTTP: name and metadata, preview and lines before
// an upload (409), the upload's file name and size, a preview (every listed text is the
// job's own line), a trial spec that changes nothing stored, a PATCH of the spec, a start
// that fits again for the patched spec (its results equal an offline run with that spec),
// a refused spec change after start, and paging and filtering the completed job's lines.
func TestPreviewLoop(t *testing.T) {
	e := newEnv(t, envOptions{})
	created := e.createJob(t, e.keyA, `{"labels":["billing","technical","sales"],"name":"March tickets","metadata":{"team":"support","quarter":"Q1"}}`)
	id := created.str("job_id")
	view := e.call(t, "GET", "/v1/batch/"+id, e.keyA, "")
	md, _ := view.body["metadata"].(map[string]any)
	spec, _ := view.body["spec"].(map[string]any)
	exp, _ := spec["label_expansions"].(map[string]any)
	if view.str("name") != "March tickets" || md["team"] != "support" || view.str("input_filename") != "" || view.num("input_bytes") != 0 ||
		len(spec["labels"].([]any)) != 3 || exp["technical"] == nil {
		t.Fatalf("job view: %s", view.raw)
	}
	wantError(t, e.call(t, "POST", "/v1/batch/"+id+"/preview", e.keyA, ""), http.StatusConflict, "CONFLICT", "")
	wantError(t, e.call(t, "GET", "/v1/batch/"+id+"/lines", e.keyA, ""), http.StatusConflict, "CONFLICT", "")

	content, texts := previewInput()
	if r := e.upload(t, created, content, nil); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	view = e.call(t, "GET", "/v1/batch/"+id, e.keyA, "")
	if view.str("input_filename") != "input.ndjson" || view.num("input_bytes") != float64(len(content)) {
		t.Fatalf("after upload: input_filename %q, input_bytes %v (want %d)", view.str("input_filename"), view.body["input_bytes"], len(content))
	}

	var pv classify.Preview
	r := e.call(t, "POST", "/v1/batch/"+id+"/preview", e.keyA, "")
	if r.status != 200 || json.Unmarshal(r.raw, &pv) != nil {
		t.Fatalf("preview: %d %s", r.status, r.raw)
	}
	total := 0
	for _, pl := range pv.Labels {
		total += pl.Count
		for _, ex := range append(pl.Examples, pl.Borderline...) {
			if ex.Index < 0 || int(ex.Index) >= len(texts) || texts[ex.Index] != ex.Text {
				t.Fatalf("%s: listed text %+v is not the job's line %d", pl.Label, ex, ex.Index)
			}
		}
	}
	if pv.SampleLines != 300-12-1 || total != pv.SampleLines {
		t.Fatalf("sample_lines %d (want %d), counts add to %d", pv.SampleLines, 300-12-1, total)
	}

	// A trial spec is previewed, and nothing is stored.
	var trial classify.Preview
	r = e.call(t, "POST", "/v1/batch/"+id+"/preview", e.keyA, `{"labels":["billing","technical","sales","weather"]}`)
	if r.status != 200 || json.Unmarshal(r.raw, &trial) != nil || len(trial.Labels) != 4 || trial.Labels[3].Label != "weather" {
		t.Fatalf("trial preview: %d %s", r.status, r.raw)
	}
	if v := e.call(t, "GET", "/v1/batch/"+id, e.keyA, ""); strings.Contains(string(v.raw), "weather") {
		t.Fatalf("a trial spec was saved: %s", v.raw)
	}
	wantError(t, e.call(t, "POST", "/v1/batch/"+id+"/preview", e.keyA, `{"labels":["a","a"]}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "labels")

	// PATCH: descriptions replace the expansions (the glossary's sales words do not cover
	// "a demo and a quote", which the fit sends to technical); a pending job's spec changes.
	r = e.call(t, "PATCH", "/v1/batch/"+id, e.keyA, `{"descriptions":{"technical":"bugs, errors, crashes and outages","sales":"requests for demos, quotes, prices and discounts"},"name":"March tickets v2"}`)
	spec, _ = r.body["spec"].(map[string]any)
	desc, _ := spec["descriptions"].(map[string]any)
	exp, _ = spec["label_expansions"].(map[string]any)
	if r.status != 200 || r.str("name") != "March tickets v2" || desc["technical"] == nil || exp["technical"] != nil || exp["billing"] == nil {
		t.Fatalf("patch: %d %s", r.status, r.raw)
	}
	wantError(t, e.call(t, "PATCH", "/v1/batch/"+id, e.keyA, `{"metadata":{`+strings.Repeat(`"k":"v",`, 0)+manyKeys(17)+`}}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "metadata")
	wantError(t, e.call(t, "PATCH", "/v1/batch/"+id, e.keyA, `{"name":"`+strings.Repeat("n", 101)+`"}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "name")
	wantError(t, e.call(t, "PATCH", "/v1/batch/"+id, e.keyA, `{"descriptions":{"nope":"x"}}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "descriptions")
	wantError(t, e.call(t, "PATCH", "/v1/batch/"+id, e.keyB, `{"name":"mine"}`), http.StatusNotFound, "NOT_FOUND", "")
	wantError(t, e.call(t, "PATCH", "/v1/batch/batch_0000000000000000", e.keyA, `{"name":"x"}`), http.StatusNotFound, "NOT_FOUND", "")
	wantError(t, e.call(t, "POST", "/v1/batch/"+id+"/preview", e.keyB, ""), http.StatusNotFound, "NOT_FOUND", "")
	wantError(t, e.call(t, "GET", "/v1/batch/"+id+"/lines", e.keyB, ""), http.StatusNotFound, "NOT_FOUND", "")

	// Lines before start: texts, no answers; filters need a completed job.
	r = e.call(t, "GET", "/v1/batch/"+id+"/lines?offset=20&limit=5", e.keyA, "")
	lines, _ := r.body["lines"].([]any)
	if r.status != 200 || len(lines) != 5 || lines[0].(map[string]any)["text"] != texts[20] || lines[4].(map[string]any)["index"] != float64(25) ||
		lines[0].(map[string]any)["label"] != nil || r.body["next_offset"] != float64(26) {
		t.Fatalf("lines before start: %s", r.raw)
	}
	wantError(t, e.call(t, "GET", "/v1/batch/"+id+"/lines?label=billing", e.keyA, ""), http.StatusConflict, "CONFLICT", "")
	wantError(t, e.call(t, "GET", "/v1/batch/"+id+"/lines?limit=501", e.keyA, ""), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "limit")

	if r := e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, ""); r.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	wantError(t, e.call(t, "PATCH", "/v1/batch/"+id, e.keyA, `{"labels":["a","b"]}`), http.StatusConflict, "CONFLICT", "")
	done := e.waitStatus(t, e.keyA, id, "completed", "failed")
	if done.str("status") != "completed" {
		t.Fatalf("job: %s", done.raw)
	}
	wantError(t, e.call(t, "PATCH", "/v1/batch/"+id, e.keyA, `{"descriptions":{}}`), http.StatusConflict, "CONFLICT", "")
	if r := e.call(t, "PATCH", "/v1/batch/"+id, e.keyA, `{"name":"done"}`); r.status != 200 || r.str("name") != "done" {
		t.Fatalf("rename after completion: %d %s", r.status, r.raw)
	}
	if r := e.call(t, "GET", "/v1/batch?status=completed", e.keyA, ""); len(r.body["data"].([]any)) != 1 {
		t.Fatalf("status filter: %s", r.raw)
	}
	if r := e.call(t, "GET", "/v1/batch?status=pending", e.keyA, ""); len(r.body["data"].([]any)) != 0 {
		t.Fatalf("status filter: %s", r.raw)
	}

	// The results are the patched spec's: the start fitted again.
	results := e.results(t, id)
	var patched classify.Spec
	json.Unmarshal(mustJSON(spec), &patched)
	if want := offlineResults(t, e, patched, content); !bytes.Equal(results, want) {
		t.Fatalf("results differ from an offline run with the patched spec:\n%s\nvs\n%s", firstLines(results, 3), firstLines(want, 3))
	}
	// (Which shows a fit again only if the spec fitted at upload answers differently.)
	original := classify.Spec{Labels: []string{"billing", "technical", "sales"}} // as created
	if bytes.Equal(offlineResults(t, e, original, content), results) {
		t.Fatal("the patch changed no answer, so this test cannot tell whether the start fitted again: patch something that matters")
	}

	// Every page in order covers every non-blank line once, with its answer.
	answers := map[float64]map[string]any{}
	for _, l := range bytes.Split(bytes.TrimSpace(results), []byte("\n")) {
		var m map[string]any
		json.Unmarshal(l, &m)
		answers[m["index"].(float64)] = m
	}
	seen := 0
	for off := 0.0; ; {
		r := e.call(t, "GET", fmt.Sprintf("/v1/batch/%s/lines?offset=%v&limit=37", id, off), e.keyA, "")
		for _, x := range r.body["lines"].([]any) {
			l := x.(map[string]any)
			a := answers[l["index"].(float64)]
			if a == nil || l["label"] != a["label"] || l["confidence"] != a["confidence"] || l["error"] != a["error"] || l["text"] != texts[int(l["index"].(float64))] {
				t.Fatalf("line %v: %v, result %v", l["index"], l, a)
			}
			seen++
		}
		next, ok := r.body["next_offset"].(float64)
		if !ok {
			break
		}
		off = next
	}
	if seen != len(answers) {
		t.Fatalf("pages covered %d lines, the results have %d", seen, len(answers))
	}
	// Filters: every line shown has the label (and all of them are shown), or a confidence
	// at or below the bound.
	want := 0
	for _, a := range answers {
		if a["label"] == "sales" {
			want++
		}
	}
	got := 0
	for off := 0.0; ; {
		r := e.call(t, "GET", fmt.Sprintf("/v1/batch/%s/lines?offset=%v&limit=10&label=sales", id, off), e.keyA, "")
		for _, x := range r.body["lines"].([]any) {
			if x.(map[string]any)["label"] != "sales" {
				t.Fatalf("label filter let through %v", x)
			}
			got++
		}
		next, ok := r.body["next_offset"].(float64)
		if !ok {
			break
		}
		off = next
	}
	if got != want || want == 0 {
		t.Fatalf("label=sales gave %d lines, the results have %d", got, want)
	}
	r = e.call(t, "GET", "/v1/batch/"+id+"/lines?max_confidence=0.5&limit=500", e.keyA, "")
	for _, x := range r.body["lines"].([]any) {
		if c := x.(map[string]any)["confidence"].(float64); c > 0.5 {
			t.Fatalf("max_confidence=0.5 let through %v", x)
		}
	}
}

func manyKeys(n int) string {
	var parts []string
	for i := range n {
		parts = append(parts, fmt.Sprintf(`"k%d":"v"`, i))
	}
	return strings.Join(parts, ",")
}

// TestPreviewTexts: /v1/preview over given texts, and its bad inputs.
func TestPreviewTexts(t *testing.T) {
	e := newEnv(t, envOptions{})
	_, texts := previewInput()
	var body strings.Builder
	body.WriteString(`{"labels":["billing","technical","sales"],"texts":[`)
	n := 0
	for _, x := range texts {
		if x == "" {
			continue
		}
		if n > 0 {
			body.WriteString(",")
		}
		fmt.Fprintf(&body, "%q", x)
		n++
	}
	body.WriteString("]}")
	r := e.call(t, "POST", "/v1/preview", e.keyA, body.String())
	var pv classify.Preview
	if r.status != 200 || json.Unmarshal(r.raw, &pv) != nil || pv.SampleLines != n || len(pv.Labels) != 3 {
		t.Fatalf("preview: %d %s", r.status, r.raw)
	}
	wantError(t, e.call(t, "POST", "/v1/preview", e.keyA, `{"labels":["a","b"],"texts":[]}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "texts")
	wantError(t, e.call(t, "POST", "/v1/preview", e.keyA, `{"labels":["a","b"],"texts":["ok",""]}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "texts")
	wantError(t, e.call(t, "POST", "/v1/preview", e.keyA, `{"texts":["ok"]}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "labels")
	wantError(t, e.call(t, "POST", "/v1/preview", e.keyA, `{"labels":["a"],"texts":"x"}`), http.StatusBadRequest, "INVALID_JSON", "texts")
	wantError(t, e.call(t, "POST", "/v1/batch", e.keyA, `{"labels":["a","b"],"metadata":{`+manyKeys(17)+`}}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "metadata")
	wantError(t, e.call(t, "POST", "/v1/batch", e.keyA, `{"labels":["a","b"],"metadata":{"`+strings.Repeat("k", 65)+`":"v"}}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "metadata")
	wantError(t, e.call(t, "POST", "/v1/batch", e.keyA, `{"labels":["a","b"],"metadata":{"k":"`+strings.Repeat("v", 513)+`"}}`), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "metadata")
	wantError(t, e.call(t, "POST", "/v1/batch", e.keyA, `{"labels":["a","b"],"metadata":{"k":1}}`), http.StatusBadRequest, "INVALID_JSON", "metadata")
	wantError(t, e.call(t, "GET", "/v1/batch?status=done", e.keyA, ""), http.StatusUnprocessableEntity, "VALIDATION_ERROR", "status")
}

// results downloads a completed job's results.
func (e *testEnv) results(t *testing.T, id string) []byte {
	t.Helper()
	r := e.call(t, "GET", "/v1/batch/"+id+"/results", e.keyA, "")
	res, err := e.client.Get(r.str("download_url"))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return b
}

// offlineResults runs the batch pipeline on content with spec, as a job would.
func offlineResults(t *testing.T, e *testEnv, spec classify.Spec, content string) []byte {
	t.Helper()
	if err := spec.Normalize(classify.DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	clf, _ := classifytest.NewBuiltin()
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(content)), nil }
	m, err := batch.Compile(context.Background(), clf, spec, open, batch.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := batch.Process(context.Background(), strings.NewReader(content), &out, spec, m, 2, batch.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

func firstLines(b []byte, n int) []byte {
	ls := bytes.SplitN(b, []byte("\n"), n+1)
	return bytes.Join(ls[:min(n, len(ls))], []byte("\n"))
}
