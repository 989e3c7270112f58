package server

import (
	"context"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/batch"
)

// Errors that explain themselves (issue 14): a failed job's results, results whose object is
// gone, and an upload that plainly is not NDJSON.

func TestResultsOfAFailedJob(t *testing.T) {
	e := newEnv(t, envOptions{})
	created := e.createJob(t, e.keyA, `{`+spec3+`}`)
	id := created.str("job_id")
	if r := e.upload(t, created, "{oops\n{oops\n", nil); r.status != 204 {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	if r := e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, ""); r.status != 202 {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	e.waitStatus(t, e.keyA, id, "failed")
	r := e.call(t, "GET", "/v1/batch/"+id+"/results", e.keyA, "")
	wantError(t, r, 409, "CONFLICT", "")
	msg := r.str("message")
	for _, want := range []string{"job " + id + " failed", "every line failed", "POST /v1/batch/" + id + "/start resumes it"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if d, _ := r.body["details"].(map[string]any); d["status"] != "failed" || !strings.HasPrefix(d["job_error"].(string), "every line failed") {
		t.Errorf("details %v", r.body["details"])
	}
}

func TestResultsGone(t *testing.T) {
	e := newEnv(t, envOptions{})
	created := e.createJob(t, e.keyA, `{`+spec3+`}`)
	id := created.str("job_id")
	if r := e.upload(t, created, jobInput, nil); r.status != 204 {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, "")
	e.waitStatus(t, e.keyA, id, "completed")
	if r := e.call(t, "GET", "/v1/batch/"+id+"/results", e.keyA, ""); r.status != 200 {
		t.Fatalf("results: %d %s", r.status, r.raw)
	}
	// The storage loses the object (switched storage, a hand-deleted file).
	if err := e.blobs.Delete(context.Background(), batch.OutputKey(id)); err != nil {
		t.Fatal(err)
	}
	r := e.call(t, "GET", "/v1/batch/"+id+"/results", e.keyA, "")
	wantError(t, r, 410, "RESULTS_GONE", "")
	if msg := r.str("message"); !strings.Contains(msg, "no longer in storage") || !strings.Contains(msg, batch.OutputKey(id)) {
		t.Errorf("message %q", msg)
	}
	if r.body["download_url"] != nil {
		t.Errorf("a URL was handed out for a missing object: %s", r.raw)
	}
}

func TestUploadNotNDJSON(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, tc := range []struct{ name, content, msgHas string }{
		{"JSON array", `[{"text":"a"},{"text":"b"}]`, `JSON array, not NDJSON: its first line starts with "[{\"text\":\"a\"}`},
		{"CSV", "text,label\nhi,greeting\n", `first line starts with "text,label"`},
		{"binary", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file (its first bytes are 89 50 4e 47"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			created := e.createJob(t, e.keyA, `{`+spec3+`}`)
			id := created.str("job_id")
			r := e.upload(t, created, tc.content, nil)
			wantError(t, r, 400, "NOT_NDJSON", "")
			if msg := r.str("message"); !strings.Contains(msg, tc.msgHas) || !strings.Contains(msg, "one JSON object per line") {
				t.Errorf("message %q; want %q and what is expected", msg, tc.msgHas)
			}
			// Nothing was stored: the job still has no input.
			wantError(t, e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, ""), 422, "NO_INPUT", "")
			// The same job takes a real NDJSON file afterwards.
			if r := e.upload(t, created, jobInput, nil); r.status != 204 {
				t.Fatalf("upload of NDJSON after a refusal: %d %s", r.status, r.raw)
			}
		})
	}
}
