package server

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
)

const jobInput = `{"id":"a","text":"I was charged twice for my subscription"}

{"id":2,"text":"my parcel never arrived"}
{not json
{"text":"the app crashes when I log in"}
`

func TestBatchLifecycle(t *testing.T) {
	e := newEnv(t, envOptions{})
	created := e.createJob(t, e.keyA, `{`+spec3+`,"text_type":"support tickets"}`)
	id := created.str("job_id")
	if !regexp.MustCompile(`^batch_[a-z0-9]{16}$`).MatchString(id) {
		t.Fatalf("job_id %q", id)
	}
	if created.str("status") != "pending" || created.str("input_key") != "jobs/"+id+"/input.ndjson" {
		t.Fatalf("create response %s", created.raw)
	}
	if !strings.HasPrefix(created.str("upload_url"), e.url+"/_blob/upload") {
		t.Fatalf("upload_url %q does not point at the appliance %s", created.str("upload_url"), e.url)
	}
	fields, _ := created.body["upload_fields"].(map[string]any)
	for _, k := range []string{"key", "policy", "x-amz-signature"} {
		if s, _ := fields[k].(string); s == "" {
			t.Fatalf("upload_fields lacks %q: %s", k, created.raw)
		}
	}
	exp, err := time.Parse(time.RFC3339, created.str("expires_at"))
	if err != nil || exp.Sub(e.clock.Now()) < 59*time.Minute || exp.Sub(e.clock.Now()) > 61*time.Minute {
		t.Fatalf("expires_at %q (err %v), want now + 1h", created.str("expires_at"), err)
	}

	pending := e.call(t, "GET", "/v1/batch/"+id, e.keyA, "")
	for k, want := range map[string]any{
		"job_id": id, "status": "pending", "mode": "single", "actual_tokens": nil,
		"started_at": nil, "completed_at": nil, "error": nil, "requests_total": 0.0,
	} {
		if got, ok := pending.body[k]; !ok || got != want {
			t.Fatalf("pending job %s = %v, want %v: %s", k, got, want, pending.raw)
		}
	}
	if _, err := time.Parse(time.RFC3339, pending.str("created_at")); err != nil || !strings.HasSuffix(pending.str("created_at"), "Z") {
		t.Fatalf("created_at %q is not RFC 3339 UTC", pending.str("created_at"))
	}

	wantError(t, e.call(t, "GET", "/v1/batch/"+id+"/results", e.keyA, ""), 409, "CONFLICT", "")
	r := e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, "")
	wantError(t, r, 422, "NO_INPUT", "")
	if r.str("message") != "no file has been uploaded for this job" {
		t.Fatalf("NO_INPUT message %q", r.str("message"))
	}

	// A re-upload before start replaces the file.
	if r := e.upload(t, created, "{\"text\":\"wrong file\"}\n", nil); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	if r := e.upload(t, created, jobInput, nil); r.status != http.StatusNoContent {
		t.Fatalf("re-upload: %d %s", r.status, r.raw)
	}

	r = e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, "")
	if r.status != http.StatusAccepted || r.str("job_id") != id || r.str("status") != "processing" {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}

	done := e.waitStatus(t, e.keyA, id, "completed", "failed")
	if done.str("status") != "completed" {
		t.Fatalf("job ended %s", done.raw)
	}
	for k, want := range map[string]float64{"requests_total": 4, "requests_completed": 3, "requests_failed": 1} {
		if done.num(k) != want {
			t.Fatalf("%s = %v, want %v: %s", k, done.body[k], want, done.raw)
		}
	}
	if done.body["actual_tokens"] == nil || done.num("actual_tokens") <= 0 || done.num("estimated_tokens") <= 0 {
		t.Fatalf("tokens not reported: %s", done.raw)
	}
	if done.body["started_at"] == nil || done.body["completed_at"] == nil || done.body["error"] != nil {
		t.Fatalf("completed job times/error: %s", done.raw)
	}

	again := e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, "")
	wantError(t, again, 409, "CONFLICT", "")
	if msg := again.str("message"); !strings.Contains(msg, "already completed") || !strings.Contains(msg, "GET /v1/batch/"+id+"/results") {
		t.Errorf("start of a completed job: %q", msg)
	}
	wantError(t, e.call(t, "POST", "/v1/batch/"+id+"/cancel", e.keyA, ""), 409, "CONFLICT", "")
	up := e.upload(t, created, jobInput, nil)
	wantError(t, up, 409, "CONFLICT", "")
	if !strings.Contains(up.str("message"), "has been started, and a started job's input cannot change") {
		t.Fatalf("upload after start: %s", up.raw)
	}

	res := e.call(t, "GET", "/v1/batch/"+id+"/results", e.keyA, "")
	if res.status != 200 || res.str("job_id") != id || res.str("expires_at") == "" {
		t.Fatalf("results: %d %s", res.status, res.raw)
	}
	dl := res.str("download_url")
	if !strings.HasPrefix(dl, e.url+"/_blob/download/") {
		t.Fatalf("download_url %q", dl)
	}

	// Download: whole file, one result per non-blank line, in order, tokens summing up.
	req, _ := http.NewRequest("GET", dl, nil)
	whole := e.do(t, req)
	if whole.status != 200 {
		t.Fatalf("download: %d %s", whole.status, whole.raw)
	}
	sc := bufio.NewScanner(strings.NewReader(string(whole.raw)))
	var lines, tokens, lastIndex = 0, 0.0, -1.0
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("result line %q: %v", sc.Text(), err)
		}
		idx := m["index"].(float64)
		if idx <= lastIndex {
			t.Fatalf("results out of order: %s", whole.raw)
		}
		lastIndex = idx
		tokens += m["tokens"].(float64)
		lines++
	}
	if lines != 4 || tokens != done.num("actual_tokens") {
		t.Fatalf("%d result lines with %v tokens; job says 4 and %v:\n%s", lines, tokens, done.body["actual_tokens"], whole.raw)
	}

	req, _ = http.NewRequest("GET", dl, nil)
	req.Header.Set("Range", "bytes=0-9")
	if part := e.do(t, req); part.status != http.StatusPartialContent || string(part.raw) != string(whole.raw[:10]) {
		t.Fatalf("range: %d %q", part.status, part.raw)
	}
	req, _ = http.NewRequest("HEAD", dl, nil)
	if head := e.do(t, req); head.status != 200 || len(head.raw) != 0 {
		t.Fatalf("HEAD: %d %q", head.status, head.raw)
	}
	req, _ = http.NewRequest("GET", strings.Replace(dl, "sig=", "sig=0", 1), nil)
	wantError(t, e.do(t, req), 403, "AccessDenied", "")
	// A signature for this job's results does not open another key.
	req, _ = http.NewRequest("GET", strings.Replace(dl, "/results.ndjson", "/input.ndjson", 1), nil)
	wantError(t, e.do(t, req), 403, "AccessDenied", "")

	list := e.call(t, "GET", "/v1/batch", e.keyA, "")
	if data := list.body["data"].([]any); len(data) != 1 || data[0].(map[string]any)["job_id"] != id {
		t.Fatalf("list: %s", list.raw)
	}

	del := e.call(t, "DELETE", "/v1/batch/"+id, e.keyA, "")
	if del.status != 200 || del.str("job_id") != id || del.body["deleted"] != true {
		t.Fatalf("delete: %d %s", del.status, del.raw)
	}
	wantError(t, e.call(t, "GET", "/v1/batch/"+id, e.keyA, ""), 404, "NOT_FOUND", "")
	wantError(t, e.call(t, "DELETE", "/v1/batch/"+id, e.keyA, ""), 404, "NOT_FOUND", "")
	for _, key := range []string{batch.InputKey(id), batch.OutputKey(id)} {
		if _, err := e.blobs.Stat(context.Background(), key); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("object %s survived the delete: %v", key, err)
		}
	}
	req, _ = http.NewRequest("GET", dl, nil)
	wantError(t, e.do(t, req), 404, "NOT_FOUND", "")
}

// With the runner stopped, a started job stays processing: every conflict with a running
// job can be checked without racing the pipeline.
func TestJobConflicts(t *testing.T) {
	e := newEnv(t, envOptions{stoppedRunner: true})
	first := e.createJob(t, e.keyA, `{`+spec3+`,"mode":"multi"}`)
	id := first.str("job_id")
	if r := e.upload(t, first, jobInput, nil); r.status != 204 {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	if r := e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, ""); r.status != 202 {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	if r := e.call(t, "GET", "/v1/batch/"+id, e.keyA, ""); r.str("status") != "processing" || r.str("mode") != "multi" || r.body["started_at"] == nil {
		t.Fatalf("started job: %s", r.raw)
	}

	second := e.createJob(t, e.keyA, `{`+spec3+`}`)
	id2 := second.str("job_id")
	if r := e.upload(t, second, jobInput, nil); r.status != 204 {
		t.Fatalf("upload 2: %d %s", r.status, r.raw)
	}

	// Every 409 says what to do next (issue 14).
	tests := []struct {
		name, method, path string
		msgHas             []string
	}{
		{"second start", "POST", "/v1/batch/" + id + "/start", []string{"already processing", "GET /v1/batch/" + id, "POST /v1/batch/" + id + "/cancel"}},
		{"results while processing", "GET", "/v1/batch/" + id + "/results", []string{"still processing", "poll GET /v1/batch/" + id}},
		{"delete while processing", "DELETE", "/v1/batch/" + id, []string{"cancel it first: POST /v1/batch/" + id + "/cancel"}},
		{"another active job", "POST", "/v1/batch/" + id2 + "/start", []string{"1 job(s) processing (" + id + ")", "limits.max_active_jobs_per_account allows 1", "POST /v1/batch/" + id + "/cancel"}},
		{"cancel a pending job", "POST", "/v1/batch/" + id2 + "/cancel", []string{"pending", "nothing to cancel", "DELETE /v1/batch/" + id2}},
		{"results of a pending job", "GET", "/v1/batch/" + id2 + "/results", []string{"has not been started", "POST /v1/batch/" + id2 + "/start"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(t, tc.method, tc.path, e.keyA, "")
			wantError(t, r, 409, "CONFLICT", "")
			for _, want := range tc.msgHas {
				if !strings.Contains(r.str("message"), want) {
					t.Errorf("message %q, want it to say %q", r.str("message"), want)
				}
			}
		})
	}
	up := e.upload(t, first, jobInput, nil)
	wantError(t, up, 409, "CONFLICT", "")
	if msg := up.str("message"); !strings.Contains(msg, "has been started") || !strings.Contains(msg, "create a new job") {
		t.Fatalf("upload after start: %s", up.raw)
	}

	r := e.call(t, "POST", "/v1/batch/"+id+"/cancel", e.keyA, "")
	if r.status != 202 || r.str("job_id") != id || r.str("status") != "processing" || r.body["cancel_requested"] != true {
		t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	// The job still exists and its objects too: the 409 delete removed nothing.
	if _, err := e.blobs.Stat(context.Background(), batch.InputKey(id)); err != nil {
		t.Fatalf("input of the processing job: %v", err)
	}
}

func TestOtherAccountsJob(t *testing.T) {
	e := newEnv(t, envOptions{})
	created := e.createJob(t, e.keyA, `{`+spec3+`}`)
	id := created.str("job_id")
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/batch/" + id},
		{"POST", "/v1/batch/" + id + "/start"},
		{"POST", "/v1/batch/" + id + "/cancel"},
		{"GET", "/v1/batch/" + id + "/results"},
		{"DELETE", "/v1/batch/" + id},
	} {
		r := e.call(t, c.method, c.path, e.keyB, "")
		wantError(t, r, 404, "NOT_FOUND", "")
		if !strings.Contains(r.str("message"), id) {
			t.Fatalf("%s %s: message %q", c.method, c.path, r.str("message"))
		}
	}
	if r := e.call(t, "GET", "/v1/batch", e.keyB, ""); len(r.body["data"].([]any)) != 0 {
		t.Fatalf("account B lists A's job: %s", r.raw)
	}
	if r := e.call(t, "GET", "/v1/batch/"+id, e.keyA, ""); r.status != 200 {
		t.Fatalf("A lost its job after B's attempts: %s", r.raw)
	}
}

func TestListJobs(t *testing.T) {
	e := newEnv(t, envOptions{})
	var ids []string
	for range 3 {
		ids = append(ids, e.createJob(t, e.keyA, `{`+spec3+`}`).str("job_id"))
		e.clock.Add(time.Second)
	}
	e.createJob(t, e.keyB, `{`+spec3+`}`)

	page1 := e.call(t, "GET", "/v1/batch?limit=2", e.keyA, "")
	data := page1.body["data"].([]any)
	if len(data) != 2 || page1.body["has_more"] != true {
		t.Fatalf("page 1: %s", page1.raw)
	}
	if data[0].(map[string]any)["job_id"] != ids[2] || data[1].(map[string]any)["job_id"] != ids[1] {
		t.Fatalf("page 1 not newest first: %s", page1.raw)
	}
	if page1.str("next_after") != ids[1] {
		t.Fatalf("next_after %q, want %q", page1.str("next_after"), ids[1])
	}
	page2 := e.call(t, "GET", "/v1/batch?limit=2&after="+ids[1], e.keyA, "")
	data = page2.body["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["job_id"] != ids[0] || page2.body["has_more"] != false || page2.body["next_after"] != nil {
		t.Fatalf("page 2: %s", page2.raw)
	}
	// Every listed job has the full job view.
	for _, k := range []string{"status", "mode", "requests_total", "estimated_tokens", "actual_tokens", "created_at", "error"} {
		if _, ok := data[0].(map[string]any)[k]; !ok {
			t.Fatalf("listed job lacks %q: %s", k, page2.raw)
		}
	}
}

func TestUploadRejections(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{MaxUploadBytes: 200}})
	a := e.createJob(t, e.keyA, `{`+spec3+`}`)
	b := e.createJob(t, e.keyA, `{`+spec3+`}`)
	bare := func(string, map[string]string) string { return e.url + "/_blob/upload" }

	tests := []struct {
		name    string
		content string
		mutate  func(url string, f map[string]string) string
		status  int
		code    string
	}{
		{"tampered policy", jobInput[:60], func(u string, f map[string]string) string {
			raw, err := base64.StdEncoding.DecodeString(f["policy"])
			if err != nil {
				t.Fatalf("policy is not base64: %v", err)
			}
			tampered := strings.Replace(string(raw), ",200]", ",99999]", 1)
			if tampered == string(raw) {
				t.Fatalf("policy has no content-length-range of 200: %s", raw)
			}
			f["policy"] = base64.StdEncoding.EncodeToString([]byte(tampered))
			return bare(u, f)
		}, 403, "AccessDenied"},
		{"tampered signature", jobInput[:60], func(u string, f map[string]string) string {
			f["x-amz-signature"] = strings.Repeat("0", len(f["x-amz-signature"]))
			return bare(u, f)
		}, 403, "AccessDenied"},
		{"another job's key under this policy", jobInput[:60], func(u string, f map[string]string) string {
			f["key"] = b.str("input_key")
			return u
		}, 403, "AccessDenied"},
		{"short form with another key", jobInput[:60], func(u string, f map[string]string) string {
			clear(f)
			f["key"] = b.str("input_key")
			return u
		}, 403, "AccessDenied"},
		{"no signature at all", jobInput[:60], func(u string, f map[string]string) string {
			k := f["key"]
			clear(f)
			f["key"] = k
			return bare(u, f)
		}, 403, "AccessDenied"},
		{"too large", strings.Repeat(`{"text":"x"}`+"\n", 30), nil, 400, "EntityTooLarge"},
		{"no file part", "\x00nofile", nil, 400, "BAD_UPLOAD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.upload(t, a, tc.content, tc.mutate)
			wantError(t, r, tc.status, tc.code, "")
		})
	}
	if _, err := e.blobs.Stat(context.Background(), a.str("input_key")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a rejected upload left an input behind: %v", err)
	}

	// The seed's short form: key and file against the signed upload_url.
	short := func(u string, f map[string]string) string {
		k := f["key"]
		clear(f)
		f["key"] = k
		return u
	}
	if r := e.upload(t, a, jobInput[:60], short); r.status != 204 {
		t.Fatalf("short form: %d %s", r.status, r.raw)
	}

	// A deleted job's upload policy is dead even while its signature is valid.
	if r := e.call(t, "DELETE", "/v1/batch/"+b.str("job_id"), e.keyA, ""); r.status != 200 {
		t.Fatalf("delete: %s", r.raw)
	}
	wantError(t, e.upload(t, b, jobInput[:60], nil), 403, "AccessDenied", "")

	// Expired policies are refused.
	e.clock.Add(2 * time.Hour)
	wantError(t, e.upload(t, a, jobInput[:60], nil), 403, "AccessDenied", "")
}

func TestJobIDFromInputKey(t *testing.T) {
	tests := []struct {
		key, id string
		ok      bool
	}{
		{"jobs/batch_abc/input.ndjson", "batch_abc", true},
		{"jobs/batch_abc/results.ndjson", "", false},
		{"jobs//input.ndjson", "", false},
		{"jobs/a/b/input.ndjson", "", false},
		{"other/batch_abc/input.ndjson", "", false},
		{"jobs/batch_abc/input.ndjson/", "", false},
	}
	for _, tc := range tests {
		id, ok := jobIDFromInputKey(tc.key)
		if id != tc.id || ok != tc.ok {
			t.Errorf("jobIDFromInputKey(%q) = %q, %v; want %q, %v", tc.key, id, ok, tc.id, tc.ok)
		}
	}
}

func FuzzJobIDFromInputKey(f *testing.F) {
	f.Add("jobs/batch_abc/input.ndjson")
	f.Add("jobs/../input.ndjson")
	f.Fuzz(func(t *testing.T, key string) {
		id, ok := jobIDFromInputKey(key)
		if ok && (batch.InputKey(id) != key || id == "" || strings.Contains(id, "/")) {
			t.Fatalf("jobIDFromInputKey(%q) = %q: not the id of that input key", key, id)
		}
	})
}

// downloadResults fetches a completed job's results file.
func (e *testEnv) downloadResults(t *testing.T, key, id string) string {
	t.Helper()
	res := e.call(t, "GET", "/v1/batch/"+id+"/results", key, "")
	if res.status != 200 {
		t.Fatalf("results of %s: %d %s", id, res.status, res.raw)
	}
	req, _ := http.NewRequest("GET", res.str("download_url"), nil)
	r := e.do(t, req)
	if r.status != 200 {
		t.Fatalf("download of %s: %d", id, r.status)
	}
	return string(r.raw)
}

// resultRow is one line of a job's results, as the tests read it.
type resultRow struct {
	Index      int     `json:"index"`
	Label      string  `json:"label"`
	Confidence float64 `json:"confidence"`
}

// resultRows downloads a completed job's results and decodes every line.
func (e *testEnv) resultRows(t *testing.T, key, id string) []resultRow {
	t.Helper()
	var rows []resultRow
	for _, line := range strings.Split(strings.TrimSpace(e.downloadResults(t, key, id)), "\n") {
		var r resultRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("result line %q: %v", line, err)
		}
		rows = append(rows, r)
	}
	return rows
}

// TestUploadCountsInput: a plain upload is counted on its way in, so requests_total and
// estimated_tokens are known before start and the start needs no pass over the input; the
// results equal those of the same input counted at start (a gzip upload is), byte for
// byte. A re-upload replaces the count.
func TestUploadCountsInput(t *testing.T) {
	e := newEnv(t, envOptions{})
	var in strings.Builder
	for i := range 5000 { // more lines than the fit's sample holds
		fmt.Fprintf(&in, "{\"id\":%d,\"text\":\"order %d: I was charged twice and the app crashes on login\"}\n\n", i, i)
	}
	in.WriteString("not json\n")
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(in.String()))
	zw.Close()

	plain := e.createJob(t, e.keyA, `{`+spec3+`}`)
	if r := e.upload(t, plain, "{\"text\":\"a first, other file\"}\n", nil); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	if r := e.upload(t, plain, in.String(), nil); r.status != http.StatusNoContent {
		t.Fatalf("re-upload: %d %s", r.status, r.raw)
	}
	pending := e.call(t, "GET", "/v1/batch/"+plain.str("job_id"), e.keyA, "")
	if pending.str("status") != "pending" || pending.num("requests_total") != 5001 || pending.num("estimated_tokens") <= 0 {
		t.Fatalf("after a plain upload, before start: %s; want requests_total 5001 and estimated tokens", pending.raw)
	}

	gzJob := e.createJob(t, e.keyB, `{`+spec3+`}`)
	if r := e.upload(t, gzJob, zipped.String(), nil); r.status != http.StatusNoContent {
		t.Fatalf("gzip upload: %d %s", r.status, r.raw)
	}
	if p := e.call(t, "GET", "/v1/batch/"+gzJob.str("job_id"), e.keyB, ""); p.num("requests_total") != 0 {
		t.Fatalf("a gzip upload was counted from its compressed bytes: %s", p.raw)
	}

	for _, j := range []struct{ key, id string }{{e.keyA, plain.str("job_id")}, {e.keyB, gzJob.str("job_id")}} {
		if r := e.call(t, "POST", "/v1/batch/"+j.id+"/start", j.key, ""); r.status != http.StatusAccepted {
			t.Fatalf("start: %d %s", r.status, r.raw)
		}
	}
	var results []string
	for _, j := range []struct{ key, id string }{{e.keyA, plain.str("job_id")}, {e.keyB, gzJob.str("job_id")}} {
		done := e.waitStatus(t, j.key, j.id, "completed", "failed")
		if done.str("status") != "completed" || done.num("requests_total") != 5001 || done.num("estimated_tokens") != pending.num("estimated_tokens") {
			t.Fatalf("job %s: %s; want completed with the upload's counts", j.id, done.raw)
		}
		results = append(results, e.downloadResults(t, j.key, j.id))
	}
	if results[0] != results[1] {
		t.Fatal("results of the input counted at upload differ from the same input counted at start")
	}
	if !strings.Contains(e.logs.String(), "at=upload") || !strings.Contains(e.logs.String(), "at=start") {
		t.Error("the log does not show one job counted at upload and one at start")
	}

	// An upload that breaks off keeps the earlier file but not its count: the start
	// counts that file again rather than trust a count taken while it was being replaced.
	third := e.createJob(t, e.keyA, `{`+spec3+`}`)
	if r := e.upload(t, third, jobInput, nil); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	if p := e.call(t, "GET", "/v1/batch/"+third.str("job_id"), e.keyA, ""); p.num("requests_total") != 4 {
		t.Fatalf("after upload: %s; want requests_total 4", p.raw)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range third.body["upload_fields"].(map[string]any) {
		mw.WriteField(k, v.(string))
	}
	fw, _ := mw.CreateFormFile("file", "input.ndjson")
	io.WriteString(fw, strings.Repeat(jobInput, 100))
	req, _ := http.NewRequest(http.MethodPost, third.str("upload_url"), bytes.NewReader(body.Bytes())) // no closing boundary
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if r := e.do(t, req); r.status != http.StatusBadRequest {
		t.Fatalf("broken upload: %d %s", r.status, r.raw)
	}
	if p := e.call(t, "GET", "/v1/batch/"+third.str("job_id"), e.keyA, ""); p.num("requests_total") != 0 {
		t.Fatalf("after a broken re-upload: %s; want the count forgotten", p.raw)
	}
}

// TestConcurrentUploadRefused: while one upload of a job's input is streaming, a second
// one gets 409 instead of racing it, and so does a start of the job; the first completes.
func TestConcurrentUploadRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	created := e.createJob(t, e.keyA, `{`+spec3+`}`)
	fields := map[string]string{}
	for k, v := range created.body["upload_fields"].(map[string]any) {
		fields[k] = v.(string)
	}
	pr, pw := io.Pipe()
	// If the test fails half-way, the server must not wait for the rest of the body.
	t.Cleanup(func() { pw.CloseWithError(errors.New("test ended")) })
	mw := multipart.NewWriter(pw)
	first := make(chan response, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, created.str("upload_url"), pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- response{status: -1, raw: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		first <- response{status: resp.StatusCode, raw: raw}
	}()
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		mw.WriteField(k, fields[k])
	}
	fw, _ := mw.CreateFormFile("file", "input.ndjson")
	// The fields and the start of the file are sent; the body stays open. Bytes written
	// into the connection say nothing about what the server has read (loopback buffers
	// hold megabytes), so the test waits until the server has admitted the upload.
	if _, err := fw.Write([]byte(strings.Repeat(`{"text":"padding"}`+"\n", 1000))); err != nil {
		t.Fatal(err)
	}
	e.waitUploadAdmitted(t, created.str("job_id"))
	wantError(t, e.upload(t, created, jobInput, nil), 409, "CONFLICT", "")
	// Nor can the job start: its input is being replaced (a start is decided under the
	// same lock that admits uploads).
	wantError(t, e.call(t, "POST", "/v1/batch/"+created.str("job_id")+"/start", e.keyA, ""), 409, "CONFLICT", "")
	mw.Close()
	pw.Close()
	if r := <-first; r.status != http.StatusNoContent {
		t.Fatalf("first upload: %d %s", r.status, r.raw)
	}
	if r := e.upload(t, created, jobInput, nil); r.status != http.StatusNoContent {
		t.Fatalf("upload after the first finished: %d %s", r.status, r.raw)
	}
}
