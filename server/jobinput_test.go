package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestJobViewHasInput: a pending job's view says whether its input is in storage, also
// when the file was written there without the appliance seeing it (as an upload to S3
// is), in the job's answer, the list and a PATCH's answer; and a refused upload, which
// leaves the file name recorded but stores nothing, shows no input (issue 22, finding 12).
func TestJobViewHasInput(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	hasInput := func(r response) bool {
		t.Helper()
		v, ok := r.body["has_input"].(bool)
		if !ok {
			t.Fatalf("no has_input in %s", r.raw)
		}
		return v
	}
	listed := func() map[string]map[string]any {
		t.Helper()
		r := e.call(t, "GET", "/v1/batch", e.keyA, "")
		out := map[string]map[string]any{}
		for _, d := range r.body["data"].([]any) {
			m := d.(map[string]any)
			out[m["job_id"].(string)] = m
		}
		return out
	}

	direct := e.createJob(t, e.keyA, `{"labels":["billing","technical"]}`)
	id := direct.str("job_id")
	other := e.createJob(t, e.keyA, `{"labels":["billing","technical"]}`).str("job_id")
	if v := e.call(t, "GET", "/v1/batch/"+id, e.keyA, ""); hasInput(v) || v.num("input_bytes") != 0 {
		t.Fatalf("a new job: %s", v.raw)
	}

	// Straight to storage, as a browser's upload to the bucket goes.
	content := "{\"text\":\"I was charged twice\"}\n{\"text\":\"the app crashes\"}\n"
	if _, err := e.blobs.Put(ctx, direct.str("input_key"), strings.NewReader(content), 1<<20); err != nil {
		t.Fatal(err)
	}
	v := e.call(t, "GET", "/v1/batch/"+id, e.keyA, "")
	if !hasInput(v) || v.num("input_bytes") != float64(len(content)) || v.str("input_filename") != "" {
		t.Fatalf("after the input was stored: %s; want has_input, input_bytes %d", v.raw, len(content))
	}
	jobs := listed()
	if jobs[id]["has_input"] != true || jobs[id]["input_bytes"] != float64(len(content)) || jobs[other]["has_input"] != false {
		t.Fatalf("list: %v and %v", jobs[id], jobs[other])
	}
	if p := e.call(t, "PATCH", "/v1/batch/"+id, e.keyA, `{"name":"direct"}`); p.status != http.StatusOK || !hasInput(p) {
		t.Fatalf("PATCH answer: %d %s", p.status, p.raw)
	}

	// A CSV is refused at upload: its name was taken on the way in, but no file is there.
	created := e.createJob(t, e.keyA, `{"labels":["billing","technical"]}`)
	if r := e.upload(t, created, "id,text\n1,charged twice\n", nil); r.status != http.StatusBadRequest {
		t.Fatalf("CSV upload: %d %s", r.status, r.raw)
	}
	if v := e.call(t, "GET", "/v1/batch/"+created.str("job_id"), e.keyA, ""); hasInput(v) {
		t.Fatalf("after a refused upload: %s", v.raw)
	}

	// A started job keeps saying it has its input.
	if r := e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, ""); r.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	if v := e.waitStatus(t, e.keyA, id, "completed"); !hasInput(v) {
		t.Fatalf("completed: %s", v.raw)
	}
}
