package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestSavedClassifierKeepsFit: a batch job created with a saved classifier leaves its corpus
// fit with that version, and real-time calls naming the classifier then answer every text as
// the job did (label and confidence), not as the spec alone does; a call whose spec the fit
// was not made for (/v1/tag: multi mode) answers without it. Issue 24 item 5.
func TestSavedClassifierKeepsFit(t *testing.T) {
	e := newEnv(t, envOptions{})
	if r := e.call(t, "POST", "/v1/classifiers", e.keyA, `{"name":"desk","labels":["billing","technical support","sales"]}`); r.status != http.StatusCreated {
		t.Fatalf("save: %d %s", r.status, r.raw)
	}
	topics := []string{
		"please refund the duplicate charge on invoice %d",
		"the app crashes with error %d when I log in",
		"can I get a quote for %d more seats on the enterprise plan",
		"my card was billed twice for order %d",
		"the export to PDF produces an empty file since version %d",
	}
	var input strings.Builder
	var texts []string
	for i := range 40 {
		text := fmt.Sprintf(topics[i%len(topics)], i)
		texts = append(texts, text)
		fmt.Fprintf(&input, "{\"text\":%q}\n", text)
	}
	classify := func(text string) (string, float64, bool) {
		t.Helper()
		r := e.call(t, "POST", "/v1/classify", e.keyA, fmt.Sprintf(`{"classifier":"desk","text":%q}`, text))
		if r.status != 200 {
			t.Fatalf("classify: %d %s", r.status, r.raw)
		}
		cached, _ := r.body["cached"].(bool)
		return r.str("label"), r.num("confidence"), cached
	}
	before := make([]float64, len(texts))
	for i, text := range texts {
		_, before[i], _ = classify(text)
	}

	created := e.createJob(t, e.keyA, `{"classifier":"desk"}`)
	id := created.str("job_id")
	if r := e.upload(t, created, input.String(), nil); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	if r := e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, ""); r.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	e.waitStatus(t, e.keyA, id, "completed")
	if r := e.call(t, "GET", "/v1/classifiers/desk", e.keyA, ""); r.str("fitted_by_job") != id {
		t.Fatalf("classifier after the job: %s, want fitted_by_job %s", r.raw, id)
	}

	changed := 0
	for _, line := range strings.Split(strings.TrimSpace(e.downloadResults(t, e.keyA, id)), "\n") {
		var res struct {
			Index      int     `json:"index"`
			Label      string  `json:"label"`
			Confidence float64 `json:"confidence"`
		}
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			t.Fatalf("result line %q: %v", line, err)
		}
		label, conf, cached := classify(texts[res.Index])
		if label != res.Label || conf != res.Confidence || cached {
			t.Fatalf("real-time %q: %s %v (cached %v), the job said %s %v", texts[res.Index], label, conf, cached, res.Label, res.Confidence)
		}
		if conf != before[res.Index] {
			changed++
		}
	}
	// Without the fit the real-time answers are the spec's alone: equal to the job's, the
	// check above would prove nothing.
	if changed == 0 {
		t.Fatal("real-time answers with the fit are those without it")
	}
	r := e.call(t, "POST", "/v1/tag", e.keyA, `{"classifier":"desk","text":"my card was billed twice"}`)
	if r.status != 200 {
		t.Fatalf("tag with a single-label fit: %d %s", r.status, r.raw)
	}
}
