package server

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/store"
)

const (
	ticketsV1 = `{"name":"tickets","labels":["billing","shipping"],"descriptions":{"billing":"invoices, charges, refunds"},"text_type":"support tickets"}`
	ticketsV2 = `{"name":"tickets","labels":["technical support","sales"]}`
)

func TestSavedClassifiers(t *testing.T) {
	e := newEnv(t, envOptions{})

	r := e.call(t, "POST", "/v1/classifiers", e.keyA, ticketsV1)
	if r.status != http.StatusCreated || r.str("name") != "tickets" || r.str("version") != "v1" || r.str("ref") != "tickets@v1" {
		t.Fatalf("save v1: %d %s", r.status, r.raw)
	}
	if r.str("created_at") == "" || r.str("text_type") != "support tickets" || r.body["mode"] != nil || r.body["threshold"] != nil {
		t.Fatalf("save v1 body: %s", r.raw)
	}
	r = e.call(t, "POST", "/v1/classifiers", e.keyA, ticketsV2)
	if r.status != http.StatusCreated || r.str("version") != "v2" {
		t.Fatalf("save v2: %d %s", r.status, r.raw)
	}
	e.call(t, "POST", "/v1/classifiers", e.keyA, `{"name":"topics","labels":["a","b"],"mode":"multi","threshold":0.1}`)

	labelsOf := func(r response) []string {
		var out []string
		for _, l := range r.body["labels"].([]any) {
			out = append(out, l.(string))
		}
		return out
	}
	for path, want := range map[string][]string{
		"/v1/classifiers/tickets":      {"technical support", "sales"},
		"/v1/classifiers/tickets@v2":   {"technical support", "sales"},
		"/v1/classifiers/tickets@v1":   {"billing", "shipping"},
		"/v1/classifiers/tickets%40v1": {"billing", "shipping"},
	} {
		r := e.call(t, "GET", path, e.keyA, "")
		if r.status != 200 || !slices.Equal(labelsOf(r), want) {
			t.Fatalf("GET %s: %d %s, want labels %v", path, r.status, r.raw, want)
		}
	}

	list := e.call(t, "GET", "/v1/classifiers", e.keyA, "")
	var got []string
	for _, it := range list.body["data"].([]any) {
		m := it.(map[string]any)
		got = append(got, m["ref"].(string)+"/"+jsonNum(m["versions"]))
	}
	if want := []string{"tickets@v2/2", "topics@v1/1"}; !slices.Equal(got, want) {
		t.Fatalf("list = %v, want %v: %s", got, want, list.raw)
	}

	// tickets@v1 and tickets@v2 classify the same text with their own labels.
	for ref, allowed := range map[string][]string{"tickets@v1": {"billing", "shipping"}, "tickets@v2": {"technical support", "sales"}} {
		r := e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"I was charged twice on my card","classifier":"`+ref+`"}`)
		if r.status != 200 || !slices.Contains(allowed, r.str("label")) {
			t.Fatalf("classify with %s: %d %s, want one of %v", ref, r.status, r.raw, allowed)
		}
		r = e.call(t, "POST", "/v1/tag/batch", e.keyA, `{"texts":["refund please"],"classifier":"`+ref+`","threshold":0}`)
		if r.status != 200 {
			t.Fatalf("tag/batch with %s: %d %s", ref, r.status, r.raw)
		}
		for _, l := range r.body["results"].([]any)[0].(map[string]any)["labels"].([]any) {
			if !slices.Contains(allowed, l.(map[string]any)["label"].(string)) {
				t.Fatalf("tag/batch with %s answered label %v", ref, l)
			}
		}
	}

	// A job keeps the version it was created with.
	created := e.createJob(t, e.keyA, `{"classifier":"topics"}`)
	if v := e.call(t, "GET", "/v1/batch/"+created.str("job_id"), e.keyA, ""); v.str("mode") != "multi" || v.str("classifier") != "topics@v1" {
		t.Fatalf("job from topics: %s", v.raw)
	}

	// Another account sees none of it.
	for _, path := range []string{"/v1/classifiers/tickets", "/v1/classifiers/tickets@v1"} {
		wantError(t, e.call(t, "GET", path, e.keyB, ""), 404, "NOT_FOUND", "")
	}
	if r := e.call(t, "GET", "/v1/classifiers", e.keyB, ""); r.status != 200 || len(r.body["data"].([]any)) != 0 {
		t.Fatalf("other account's list: %s", r.raw)
	}
	wantError(t, e.call(t, "POST", "/v1/classify", e.keyB, `{"text":"x","classifier":"tickets"}`), 422, "VALIDATION_ERROR", "classifier")
	wantError(t, e.call(t, "DELETE", "/v1/classifiers/tickets", e.keyB, ""), 404, "NOT_FOUND", "")

	// Delete removes every version; jobs keep their spec; numbers are not reused.
	wantError(t, e.call(t, "DELETE", "/v1/classifiers/tickets@v1", e.keyA, ""), 422, "VALIDATION_ERROR", "name")
	if r := e.call(t, "DELETE", "/v1/classifiers/tickets", e.keyA, ""); r.status != 200 || r.body["deleted"] != true || r.num("versions") != 2 {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	wantError(t, e.call(t, "GET", "/v1/classifiers/tickets", e.keyA, ""), 404, "NOT_FOUND", "")
	wantError(t, e.call(t, "POST", "/v1/batch", e.keyA, `{"classifier":"tickets@v1"}`), 422, "VALIDATION_ERROR", "classifier")
	if r := e.call(t, "POST", "/v1/classifiers", e.keyA, ticketsV1); r.str("version") != "v3" {
		t.Fatalf("save after delete: %s", r.raw)
	}
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestSavedClassifierValidation(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.call(t, "POST", "/v1/classifiers", e.keyA, ticketsV1)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"upper case name", "POST", "/v1/classifiers", `{"name":"Tickets","labels":["a"]}`, 422, "VALIDATION_ERROR", "name"},
		{"empty name", "POST", "/v1/classifiers", `{"labels":["a"]}`, 422, "VALIDATION_ERROR", "name"},
		{"name with space", "POST", "/v1/classifiers", `{"name":"a b","labels":["a"]}`, 422, "VALIDATION_ERROR", "name"},
		{"name with @", "POST", "/v1/classifiers", `{"name":"a@v1","labels":["a"]}`, 422, "VALIDATION_ERROR", "name"},
		{"name too long", "POST", "/v1/classifiers", `{"name":"` + strings.Repeat("a", 65) + `","labels":["a"]}`, 422, "VALIDATION_ERROR", "name"},
		{"no labels", "POST", "/v1/classifiers", `{"name":"x"}`, 422, "VALIDATION_ERROR", "labels"},
		{"duplicate labels", "POST", "/v1/classifiers", `{"name":"x","labels":["a","a"]}`, 422, "VALIDATION_ERROR", "labels"},
		{"bad mode", "POST", "/v1/classifiers", `{"name":"x","labels":["a"],"mode":"many"}`, 422, "VALIDATION_ERROR", "mode"},
		{"bad threshold", "POST", "/v1/classifiers", `{"name":"x","labels":["a"],"threshold":2}`, 422, "VALIDATION_ERROR", "threshold"},
		{"from a classifier", "POST", "/v1/classifiers", `{"name":"x","classifier":"tickets"}`, 422, "VALIDATION_ERROR", "classifier"},
		{"malformed json", "POST", "/v1/classifiers", `{"name":`, 400, "INVALID_JSON", ""},
		{"unknown version", "POST", "/v1/classify", `{"text":"x","classifier":"tickets@v9"}`, 422, "VALIDATION_ERROR", "classifier"},
		{"bad reference", "POST", "/v1/classify", `{"text":"x","classifier":"tickets@2"}`, 422, "VALIDATION_ERROR", "classifier"},
		{"v0", "POST", "/v1/batch", `{"classifier":"tickets@v0"}`, 422, "VALIDATION_ERROR", "classifier"},
		{"labels and classifier", "POST", "/v1/tag", `{"text":"x","labels":["a"],"classifier":"tickets"}`, 422, "VALIDATION_ERROR", "classifier"},
		{"get bad ref", "GET", "/v1/classifiers/tickets@vx", "", 404, "NOT_FOUND", ""},
		{"get unknown version", "GET", "/v1/classifiers/tickets@v2", "", 404, "NOT_FOUND", ""},
		{"no key", "GET", "/v1/classifiers", "", 401, "INVALID_API_KEY", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := e.keyA
			if tc.status == 401 {
				key = ""
			}
			wantError(t, e.call(t, tc.method, tc.path, key, tc.body), tc.status, tc.code, tc.field)
		})
	}
}

func TestParseClassifierRef(t *testing.T) {
	for ref, want := range map[string]struct {
		name    string
		version int
		ok      bool
	}{
		"tickets": {"tickets", 0, true}, "tickets@v1": {"tickets", 1, true}, "a_b-c@v42": {"a_b-c", 42, true},
		"tickets@v0": {}, "tickets@v01": {}, "tickets@1": {}, "tickets@v": {}, "tickets@": {}, "@v1": {},
		"Tickets": {}, "tickets@v99999999999": {}, "tickets@v1@v2": {}, "": {},
	} {
		n, v, ok := store.ParseClassifierRef(ref)
		if n != want.name || v != want.version || ok != want.ok {
			t.Errorf("store.ParseClassifierRef(%q) = %q, %d, %v; want %+v", ref, n, v, ok, want)
		}
	}
}

// TestJobKeepsClassifierVersion: a job created from "tickets" runs v1's labels even after
// v2 (with other labels) is saved before it starts.
func TestJobKeepsClassifierVersion(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.call(t, "POST", "/v1/classifiers", e.keyA, ticketsV1)
	created := e.createJob(t, e.keyA, `{"classifier":"tickets"}`)
	id := created.str("job_id")
	if r := e.call(t, "POST", "/v1/classifiers", e.keyA, ticketsV2); r.str("version") != "v2" {
		t.Fatalf("save v2: %s", r.raw)
	}
	if r := e.upload(t, created, jobInput, nil); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	if r := e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, ""); r.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	done := e.waitStatus(t, e.keyA, id, "completed", "failed")
	if done.str("status") != "completed" || done.str("classifier") != "tickets@v1" {
		t.Fatalf("job: %s", done.raw)
	}
	labels := e.resultLabels(t, id)
	if len(labels) == 0 {
		t.Fatal("no labelled results")
	}
	for _, l := range labels {
		if l != "billing" && l != "shipping" {
			t.Fatalf("result label %q is not one of v1's labels", l)
		}
	}
}

// resultLabels downloads a completed job's results and returns their single labels.
func (e *testEnv) resultLabels(t *testing.T, id string) []string {
	t.Helper()
	var out []string
	for _, r := range e.resultRows(t, e.keyA, id) {
		if r.Label != "" {
			out = append(out, r.Label)
		}
	}
	return out
}
