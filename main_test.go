package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/classifytest"
)

var seedSpec = map[string]any{"labels": []string{"billing", "technical", "sales"}, "mode": "single"}

const seedInput = `{"id":"a1","text":"The app keeps crashing"}
{"id":2,"text":"How do I upgrade my plan?"}

{"text":"I was charged twice on my credit card this month","extra":{"ignored":true}}
{"text": "broken
not json at all
{"id":"empty","text":""}
{"id":"nt"}
{"text":"Hello, can someone call me back about pricing for 20 seats?"}
`

type resultLine struct {
	Index      int64           `json:"index"`
	ID         json.RawMessage `json:"id"`
	Label      string          `json:"label"`
	Confidence float64         `json:"confidence"`
	Labels     []struct {
		Label      string  `json:"label"`
		Confidence float64 `json:"confidence"`
	} `json:"labels"`
	Tokens int    `json:"tokens"`
	Error  string `json:"error"`
}

func parseResults(t *testing.T, b []byte) []resultLine {
	t.Helper()
	var out []resultLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var r resultLine
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("result line %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// TestSeedWalkthrough is the hosted service's curl script, step by step, with the
// seed's short upload form (key + file only; the whole form on S3), on a single node
// and in cluster mode.
func TestSeedWalkthrough(t *testing.T) { eachMode(t, testSeedWalkthrough) }

func testSeedWalkthrough(t *testing.T, md appMode) {
	m := md.start(t, false)
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)

	job := c.createJob(seedSpec)
	if !strings.HasPrefix(job.JobID, "batch_") || len(job.JobID) != len("batch_")+16 {
		t.Fatalf("job id %q", job.JobID)
	}
	if code, body := md.upload(t, job.UploadURL, md.shortForm(job), seedInput); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, body)
	}
	var started map[string]any
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, &started); code != http.StatusAccepted || started["status"] != "processing" {
		t.Fatalf("start: %d %v", code, started)
	}
	v := c.waitStatus(job.JobID, time.Minute, "completed", "failed")
	if v.Status != "completed" {
		t.Fatalf("job %+v", v)
	}
	if v.RequestsTotal != 8 || v.RequestsCompleted != 4 || v.RequestsFailed != 4 {
		t.Fatalf("counters %+v", v)
	}
	if v.ActualTokens == nil || *v.ActualTokens <= 0 || v.EstimatedTokens <= 0 || v.CompletedAt == nil || v.StartedAt == nil {
		t.Fatalf("tokens/times %+v", v)
	}

	res := parseResults(t, c.download(job.JobID))
	if len(res) != 8 {
		t.Fatalf("got %d result lines, want 8 (one per non-blank line)", len(res))
	}
	wantIndex := []int64{0, 1, 3, 4, 5, 6, 7, 8}
	var sum int64
	for i, r := range res {
		if r.Index != wantIndex[i] {
			t.Errorf("result %d: index %d, want %d", i, r.Index, wantIndex[i])
		}
		sum += int64(r.Tokens)
	}
	if sum != *v.ActualTokens {
		t.Errorf("actual_tokens %d, sum of lines %d", *v.ActualTokens, sum)
	}
	if string(res[0].ID) != `"a1"` || string(res[1].ID) != `2` {
		t.Errorf("ids not echoed: %s %s", res[0].ID, res[1].ID)
	}
	// Whether the answers are right is TestSeedTicketsRight's; here, that each good line
	// has one of the labels.
	for _, r := range res[:3] {
		if r.Label != "billing" && r.Label != "technical" && r.Label != "sales" {
			t.Errorf("result %d: label %q", r.Index, r.Label)
		}
		if r.Confidence <= 0 || r.Confidence > 1 || r.Tokens <= 0 || r.Error != "" {
			t.Errorf("bad result %+v", r)
		}
	}
	for i, want := range []string{"line 5: invalid JSON", "line 6: invalid JSON", `line 7: "text" is empty`, `line 8: missing "text"`} {
		r := res[3+i]
		if !strings.HasPrefix(r.Error, want) || r.Tokens != 0 || r.Label != "" {
			t.Errorf("result %d: %+v, want error starting %q", 3+i, r, want)
		}
	}
	if string(res[5].ID) != `"empty"` {
		t.Errorf("id of a failed line not echoed: %s", res[5].ID)
	}
	if res[7].Label == "" || res[7].Error != "" {
		t.Errorf("last line %+v", res[7])
	}

	// Results equal the offline CLI's pipeline on the same input, byte for byte.
	if want := offlineResults(t, seedSpec, seedInput); !bytes.Equal(want, c.download(job.JobID)) {
		t.Errorf("API results differ from batch.Process:\n%s\nvs\n%s", c.download(job.JobID), want)
	}
}

// seedTickets are the seed walkthrough's six tickets with the label a person would give.
var seedTickets = []struct{ text, want string }{
	{"I need help with billing", "billing"},
	{"The app keeps crashing", "technical"},
	{"How do I upgrade my plan?", "sales"},
	{"I was charged twice on my credit card this month", "billing"},
	{"Error 500 when I click the save button", "technical"},
	{"Can I get a quote for 50 seats for my company?", "sales"},
}

// TestSeedTicketsRight: with the labels billing, technical and sales and nothing else (what
// the seed's curl script sends), a batch job and /v1/classify each answer at least five of
// the six seed tickets right, and "the server is down again" is technical between billing
// and technical (issue 11).
func TestSeedTicketsRight(t *testing.T) {
	m := startMain(t, testConfig(t, t.TempDir()))
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)

	var input strings.Builder
	for _, tc := range seedTickets {
		line, _ := json.Marshal(map[string]string{"text": tc.text})
		input.Write(line)
		input.WriteByte('\n')
	}
	job := c.createJob(seedSpec)
	if code, body := upload(t, job.UploadURL, [][2]string{{"key", job.UploadFields["key"]}}, strings.NewReader(input.String())); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	if v := c.waitStatus(job.JobID, time.Minute, "completed", "failed"); v.Status != "completed" {
		t.Fatalf("job %+v", v)
	}
	res := parseResults(t, c.download(job.JobID))
	batchRight, rtRight := 0, 0
	for i, tc := range seedTickets {
		var rt struct {
			Label      string  `json:"label"`
			Confidence float64 `json:"confidence"`
		}
		body := map[string]any{"text": tc.text, "labels": []string{"billing", "technical", "sales"}}
		if code, _ := c.do("POST", "/v1/classify", body, &rt); code != http.StatusOK {
			t.Fatalf("classify: %d", code)
		}
		t.Logf("%q: batch %s %.2f, /v1/classify %s %.2f (want %s)", tc.text, res[i].Label, res[i].Confidence, rt.Label, rt.Confidence, tc.want)
		if res[i].Label == tc.want {
			batchRight++
		}
		if rt.Label == tc.want {
			rtRight++
		}
	}
	if batchRight < 5 || rtRight < 5 {
		t.Errorf("right: batch %d of 6, /v1/classify %d of 6; want at least 5 each", batchRight, rtRight)
	}
	var rt struct {
		Label string `json:"label"`
	}
	c.do("POST", "/v1/classify", map[string]any{"text": "the server is down again", "labels": []string{"billing", "technical"}}, &rt)
	if rt.Label != "technical" {
		t.Errorf("%q with billing/technical -> %q, want technical", "the server is down again", rt.Label)
	}
}

// offlineResults runs the offline pipeline as the reference output.
func offlineResults(t *testing.T, specBody map[string]any, input string) []byte {
	t.Helper()
	raw, _ := json.Marshal(specBody)
	var spec classify.Spec
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	if err := spec.Normalize(classify.DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	clf, err := classifytest.NewBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	open := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(input)), nil }
	model, err := batch.Compile(context.Background(), clf, spec, open, batch.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := batch.Process(context.Background(), strings.NewReader(input), &out, spec, model, 2, batch.Limits{}, nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestFullFormUploadAndMulti sends every upload_fields entry then the file, in multi mode,
// on a single node and in cluster mode.
func TestFullFormUploadAndMulti(t *testing.T) { eachMode(t, testFullFormUploadAndMulti) }

func testFullFormUploadAndMulti(t *testing.T, md appMode) {
	m := md.start(t, false)
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)
	spec := map[string]any{
		"labels":       []string{"billing", "technical", "sales"},
		"descriptions": map[string]string{"billing": "invoices, charges, refunds and payments"},
		"mode":         "multi", "threshold": 0.2,
	}
	job := c.createJob(spec)
	for _, f := range []string{"key", "policy", "x-amz-signature"} {
		if job.UploadFields[f] == "" {
			t.Fatalf("upload_fields lacks %q: %v", f, job.UploadFields)
		}
	}
	input := "{\"text\":\"The app keeps crashing after I paid the invoice\"}\r\n{\"text\":\"refund please\"}"
	if code, body := md.upload(t, job.UploadURL, allFields(job), input); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, body)
	}
	c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil)
	if v := c.waitStatus(job.JobID, time.Minute, "completed", "failed"); v.Status != "completed" {
		t.Fatalf("%+v", v)
	}
	got := c.download(job.JobID)
	res := parseResults(t, got)
	if len(res) != 2 || res[0].Index != 0 || res[1].Index != 1 {
		t.Fatalf("results %s", got)
	}
	for _, r := range res {
		if r.Labels == nil || r.Label != "" {
			t.Errorf("multi result without labels array: %+v", r)
		}
		for i := 1; i < len(r.Labels); i++ {
			if r.Labels[i].Confidence > r.Labels[i-1].Confidence {
				t.Errorf("labels not highest first: %+v", r.Labels)
			}
		}
		for _, l := range r.Labels {
			if l.Confidence < 0.2 {
				t.Errorf("label under threshold: %+v", l)
			}
		}
	}
	if want := offlineResults(t, spec, input); !bytes.Equal(want, got) {
		t.Errorf("multi results differ from the offline pipeline:\n%s\nvs\n%s", got, want)
	}
}

// TestAPIErrors covers the status codes the issue names, through real HTTP, on a single
// node and in cluster mode.
func TestAPIErrors(t *testing.T) { eachMode(t, testAPIErrors) }

func testAPIErrors(t *testing.T, md appMode) {
	m := md.start(t, false)
	defer m.Close()
	acme := newClient(t, m.URL, acmeKey)
	beta := newClient(t, m.URL, betaKey)

	type errBody struct {
		Error   string         `json:"error"`
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Details map[string]any `json:"details"`
	}
	for _, tc := range []struct {
		name  string
		body  string
		code  int
		field string
	}{
		{"malformed JSON", `{"labels":[`, 400, ""},
		{"no labels", `{"mode":"single"}`, 422, "labels"},
		{"duplicate labels", `{"labels":["a","a"]}`, 422, "labels"},
		{"description for unknown label", `{"labels":["a","b"],"descriptions":{"c":"x"}}`, 422, "descriptions"},
		{"threshold 1.5", `{"labels":["a","b"],"mode":"multi","threshold":1.5}`, 422, "threshold"},
		{"bad mode", `{"labels":["a","b"],"mode":"several"}`, 422, "mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e errBody
			code, h := acme.do("POST", "/v1/batch", tc.body, &e)
			if code != tc.code || e.Code == "" || e.Message == "" || h.Get("X-Request-ID") == "" {
				t.Fatalf("got %d %+v, want %d with an error body and X-Request-ID", code, e, tc.code)
			}
			if tc.field != "" && e.Details["field"] != tc.field {
				t.Errorf("details.field = %v, want %s", e.Details["field"], tc.field)
			}
		})
	}

	// 401 without a key and with a wrong one.
	var e errBody
	if code, _ := newClient(t, m.URL, "").do("GET", "/v1/batch", nil, &e); code != 401 || e.Code != "INVALID_API_KEY" {
		t.Errorf("no key: %d %+v", code, e)
	}
	if code, _ := newClient(t, m.URL, "sk-wrong-key-123").do("GET", "/v1/batch", nil, &e); code != 401 {
		t.Errorf("wrong key: %d", code)
	}

	// Another account's job is 404 everywhere.
	job := acme.createJob(seedSpec)
	for _, p := range []struct{ method, path string }{
		{"GET", "/v1/batch/" + job.JobID}, {"POST", "/v1/batch/" + job.JobID + "/start"},
		{"GET", "/v1/batch/" + job.JobID + "/results"}, {"DELETE", "/v1/batch/" + job.JobID},
		{"POST", "/v1/batch/" + job.JobID + "/cancel"},
	} {
		if code, _ := beta.do(p.method, p.path, nil, nil); code != 404 {
			t.Errorf("beta %s %s: %d, want 404", p.method, p.path, code)
		}
	}

	// Start with nothing uploaded: 422; results before completion: 409.
	if code, _ := acme.do("POST", "/v1/batch/"+job.JobID+"/start", nil, &e); code != 422 {
		t.Errorf("start without upload: %d %+v", code, e)
	}
	if code, _ := acme.do("GET", "/v1/batch/"+job.JobID+"/results", nil, nil); code != 409 {
		t.Errorf("results of a pending job: %d", code)
	}

	// A policy changed under its signature, a valid policy with another policy's
	// signature, another job's policy with this job's key, and a key field that does
	// not match the signed one are all 403. The policies are validly encoded, so only
	// the signature (or the key check) can refuse them.
	other := acme.createJob(seedSpec)
	raw, err := base64.StdEncoding.DecodeString(job.UploadFields["policy"])
	if err != nil {
		t.Fatalf("policy is not base64: %v", err)
	}
	// The appliance writes `["content-length-range",0,N]`, minio-go (S3) `[…", 0, N]`.
	bigger := contentRange.ReplaceAllString(string(raw), `${1}9`)
	if bigger == string(raw) {
		t.Fatalf("policy has no content-length-range: %s", raw)
	}
	withField := func(fields [][2]string, name, value string) [][2]string {
		out := slices.Clone(fields)
		for i := range out {
			if out[i][0] == name {
				out[i][1] = value
			}
		}
		return out
	}
	for name, fields := range map[string][][2]string{
		"policy changed under its signature":     withField(allFields(job), "policy", base64.StdEncoding.EncodeToString([]byte(bigger))),
		"policy with another policy's signature": withField(allFields(job), "x-amz-signature", other.UploadFields["x-amz-signature"]),
		"another job's policy with this key":     withField(allFields(other), "key", job.UploadFields["key"]),
	} {
		if code, body := md.upload(t, job.UploadURL, fields, seedInput); code != 403 {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
	if code, body := md.upload(t, job.UploadURL, [][2]string{{"key", other.UploadFields["key"]}}, seedInput); code != 403 {
		t.Errorf("short form with another job's key: %d %s", code, body)
	}
}

var contentRange = regexp.MustCompile(`(\["content-length-range", ?0, ?)`)

// TestSecondStartConflictsAndCancelResume: one active job per account; a cancelled
// job keeps its place and a restart finishes with the same bytes as one run.
func TestSecondStartConflictsAndCancelResume(t *testing.T) {
	cfg := testConfig(t, t.TempDir())
	var input bytes.Buffer
	if _, err := input.ReadFrom(newCorpus(1, 60_000)); err != nil {
		t.Fatal(err)
	}
	// The big job's first run reads only half its input, so the cancel finds it mid-way.
	hold, held := holdInputAt(int64(input.Len() / 2))
	m := startMain(t, cfg, hold)
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)

	big := c.createJob(seedSpec)
	if code, body := upload(t, big.UploadURL, allFields(big), bytes.NewReader(input.Bytes())); code != 204 {
		t.Fatalf("upload %d %s", code, body)
	}
	small := c.createJob(seedSpec)
	if code, _ := upload(t, small.UploadURL, allFields(small), strings.NewReader(seedInput)); code != 204 {
		t.Fatal("upload small")
	}
	if code, _ := c.do("POST", "/v1/batch/"+big.JobID+"/start", nil, nil); code != 202 {
		t.Fatalf("start big: %d", code)
	}
	if code, _ := c.do("POST", "/v1/batch/"+big.JobID+"/start", nil, nil); code != 409 {
		t.Errorf("start of a processing job: %d, want 409", code)
	}
	if code, _ := c.do("POST", "/v1/batch/"+small.JobID+"/start", nil, nil); code != 409 {
		t.Errorf("second job of the account while one is processing: %d, want 409", code)
	}
	if code, _ := c.do("DELETE", "/v1/batch/"+big.JobID, nil, nil); code != 409 {
		t.Errorf("delete while processing: %d, want 409", code)
	}
	// Another account is not limited by acme's active job.
	if code, _ := newClient(t, m.URL, betaKey).do("GET", "/v1/batch", nil, nil); code != 200 {
		t.Errorf("beta list: %d", code)
	}

	// Cancel half-way, and check the job failed with "cancelled" while keeping its
	// counters.
	waitHeld(t, held)
	if code, _ := c.do("POST", "/v1/batch/"+big.JobID+"/cancel", nil, nil); code != 202 {
		t.Fatalf("cancel: %d", code)
	}
	v := c.waitStatus(big.JobID, time.Minute, "failed", "completed")
	if v.Status != "failed" || v.Error == nil || *v.Error != "cancelled" {
		t.Fatalf("after cancel: %+v", v)
	}
	if v.RequestsCompleted == 0 || v.RequestsCompleted >= 60_000 {
		t.Fatalf("cancelled job should have stopped part-way: %+v", v)
	}
	// The slot is free again: the small job starts and completes.
	if code, _ := c.do("POST", "/v1/batch/"+small.JobID+"/start", nil, nil); code != 202 {
		t.Fatalf("start small after cancel: %d", code)
	}
	c.waitStatus(small.JobID, time.Minute, "completed")

	// Resume the cancelled job: it continues from its checkpoint.
	if code, _ := c.do("POST", "/v1/batch/"+big.JobID+"/start", nil, nil); code != 202 {
		t.Fatalf("restart: %d", code)
	}
	v = c.waitStatus(big.JobID, 5*time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsCompleted != 60_000 || v.RequestsFailed != 0 {
		t.Fatalf("after resume: %+v", v)
	}
	if want := offlineResults(t, seedSpec, input.String()); !bytes.Equal(c.download(big.JobID), want) {
		t.Fatal("resumed results differ from an uninterrupted run")
	}
	if code, _ := c.do("DELETE", "/v1/batch/"+big.JobID, nil, nil); code != 200 {
		t.Errorf("delete completed: %d", code)
	}
	if code, _ := c.do("GET", "/v1/batch/"+big.JobID, nil, nil); code != 404 {
		t.Errorf("deleted job: %d", code)
	}
}

// TestRestartResumesByteIdentical stops the appliance in the middle of a job and
// starts a new one on the same data dir: the job resumes from its checkpoint and
// the results equal an uninterrupted run's, byte for byte. The first appliance reads
// only half the input (holdInputAt), so the stop is sure to find the job mid-way.
func TestRestartResumesByteIdentical(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	var input bytes.Buffer
	if _, err := input.ReadFrom(newCorpus(7, 60_000)); err != nil {
		t.Fatal(err)
	}
	hold, held := holdInputAt(int64(input.Len() / 2))
	m := startMain(t, cfg, hold)
	c := newClient(t, m.URL, acmeKey)
	job := c.createJob(seedSpec)
	if code, _ := upload(t, job.UploadURL, allFields(job), bytes.NewReader(input.Bytes())); code != 204 {
		t.Fatal("upload")
	}
	c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil)
	waitHeld(t, held)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if mid := storedJob(t, dir, job.JobID); mid.Status != batch.StatusProcessing || mid.Checkpoint.Completed == 0 ||
		mid.Checkpoint.Completed >= 60_000 || mid.Checkpoint.InputOffset > int64(input.Len()/2) {
		t.Fatalf("after the stop: %s at %+v; want processing with a part-way checkpoint", mid.Status, mid.Checkpoint)
	}

	m2 := startMain(t, cfg)
	defer m2.Close()
	c2 := newClient(t, m2.URL, acmeKey)
	v := c2.waitStatus(job.JobID, 5*time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsCompleted != 60_000 {
		t.Fatalf("after restart: %+v", v)
	}
	if want := offlineResults(t, seedSpec, input.String()); !bytes.Equal(c2.download(job.JobID), want) {
		t.Fatal("results after a restart differ from an uninterrupted run")
	}
}
