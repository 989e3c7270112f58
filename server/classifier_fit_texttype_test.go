package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestSavedClassifierFitAnyTextType: a job given its own text_type next to a saved classifier
// (which has none) still leaves a fit that real-time calls naming the classifier use, without
// the text_type: they answer every text as the job did. Real-time scoring reads a text_type
// only through a fit, so without this they would answer with the spec alone. Issue 24 item 5.
func TestSavedClassifierFitAnyTextType(t *testing.T) {
	e := newEnv(t, envOptions{})
	if r := e.call(t, "POST", "/v1/classifiers", e.keyA, `{"name":"desk","labels":["billing","technical support","sales"]}`); r.status != http.StatusCreated {
		t.Fatalf("save: %d %s", r.status, r.raw)
	}
	topics := []string{
		"please refund the duplicate charge on invoice %d",
		"the app crashes with error %d when I log in",
		"can I get a quote for %d more seats on the enterprise plan",
		"my card was billed twice for order %d",
	}
	var input strings.Builder
	var texts []string
	for i := range 40 {
		text := fmt.Sprintf(topics[i%len(topics)], i)
		texts = append(texts, text)
		fmt.Fprintf(&input, "{\"text\":%q}\n", text)
	}
	classify := func(text string) (string, float64) {
		t.Helper()
		r := e.call(t, "POST", "/v1/classify", e.keyA, fmt.Sprintf(`{"classifier":"desk","text":%q,"cache":false}`, text))
		if r.status != 200 {
			t.Fatalf("classify: %d %s", r.status, r.raw)
		}
		return r.str("label"), r.num("confidence")
	}
	created := e.createJob(t, e.keyA, `{"classifier":"desk","text_type":"customer support tickets"}`)
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
	for _, line := range strings.Split(strings.TrimSpace(e.downloadResults(t, e.keyA, id)), "\n") {
		var res struct {
			Index      int     `json:"index"`
			Label      string  `json:"label"`
			Confidence float64 `json:"confidence"`
		}
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			t.Fatalf("result line %q: %v", line, err)
		}
		if label, conf := classify(texts[res.Index]); label != res.Label || conf != res.Confidence {
			t.Fatalf("real-time %q: %s %v, the job said %s %v", texts[res.Index], label, conf, res.Label, res.Confidence)
		}
	}
}
