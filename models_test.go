package main

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/modeltest"
	"github.com/classer-ai/classer-batch/classify/wordvec"
)

// The configured models of issue 13 end to end: a static Model2Vec directory generated in
// the real formats, and an OpenAI-compatible embedding and chat server (modeltest.
// OpenAIServer: an HTTP server inside the test implementing the two endpoints as the OpenAI
// API documents them, since no model server can run here).

var modelSpec = map[string]any{
	"labels": []string{"billing", "technical", "sales"},
	"descriptions": map[string]string{
		"billing":   "invoice charge payment refund",
		"technical": "error crash bug server",
		"sales":     "price quote demo plan",
	},
}

var modelTexts = []struct{ text, want string }{
	{"please refund the invoice charge", "billing"},
	{"the server shows an error after the crash", "technical"},
	{"can we get a price quote and a demo", "sales"},
	{"refund my payment for the invoice", "billing"},
	{"another crash and a bug on the server", "technical"},
	{"what plan and price for a demo", "sales"},
}

// staticModelDir writes a small Model2Vec model whose rows are the built-in model's vectors
// of a few hundred words.
func staticModelDir(t *testing.T) string {
	t.Helper()
	b, err := wordvec.NewBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	vocab := []string{"[UNK]"}
	var vecs [][]float32
	vecs = append(vecs, make([]float32, 100))
	seen := map[string]bool{}
	for _, tc := range modelTexts {
		for _, w := range strings.Fields(tc.text + " invoice charge payment refund error crash bug server price quote demo plan billing technical sales") {
			if v, _, ok := b.WordVector(w); ok && !seen[w] {
				seen[w] = true
				vocab = append(vocab, w)
				vecs = append(vecs, v)
			}
		}
	}
	dir := filepath.Join(t.TempDir(), "potion")
	if err := modeltest.Model2Vec(dir, vocab, vecs, "F16"); err != nil {
		t.Fatal(err)
	}
	return dir
}

// wordVectorsFile writes the same words as a fastText-style .vec file (with its header).
func wordVectorsFile(t *testing.T) string {
	t.Helper()
	b, err := wordvec.NewBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	var vecs [][]float32
	for _, w := range strings.Fields("the and please my can we get what for a an after another on of invoice charge payment refund error crash bug server price quote demo plan shows billing technical sales ticket") {
		if v, _, ok := b.WordVector(w); ok {
			words = append(words, w)
			vecs = append(vecs, v)
		}
	}
	path := filepath.Join(t.TempDir(), "words.vec")
	if err := modeltest.WordVectors(path, words, vecs, true); err != nil {
		t.Fatal(err)
	}
	return path
}

func modelsConfig(t *testing.T, srv *modeltest.OpenAIServer) Config {
	cfg := testConfig(t, t.TempDir())
	cfg.Models = map[string]ModelConfig{
		"potion":  {Kind: "static", Path: staticModelDir(t)},
		"vec":     {Kind: "static", Path: wordVectorsFile(t)},
		"bge":     {Kind: "openai-embeddings", URL: srv.URL, Model: "bge-small", MaxConcurrency: 2, BatchSize: 8, Timeout: 2 * time.Second, Retries: 2},
		"llm":     {Kind: "openai-chat", URL: srv.URL, Model: "qwen", MaxConcurrency: 4, Timeout: 2 * time.Second, Retries: 2},
		"missing": {Kind: "static", Path: filepath.Join(t.TempDir(), "nope")},
	}
	return cfg
}

func withModel(model string) map[string]any {
	spec := map[string]any{"model": model}
	for k, v := range modelSpec {
		spec[k] = v
	}
	return spec
}

// modelJobInput is modelTexts repeated n times, one per line.
func modelJobInput(n int) string {
	var b strings.Builder
	for i := range n {
		tc := modelTexts[i%len(modelTexts)]
		fmt.Fprintf(&b, "{\"id\":%d,\"text\":%q}\n", i, fmt.Sprintf("%s (ticket %d)", tc.text, i))
	}
	return b.String()
}

func runModelJob(t *testing.T, c *client, spec map[string]any, input string) (jobView, []resultLine, string) {
	t.Helper()
	job := c.createJob(spec)
	if code, body := upload(t, job.UploadURL, [][2]string{{"key", job.UploadFields["key"]}}, strings.NewReader(input)); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	v := c.waitStatus(job.JobID, time.Minute, "completed", "failed")
	if v.Status != "completed" {
		return v, nil, job.JobID
	}
	return v, parseResults(t, c.download(job.JobID)), job.JobID
}

// runStartedModelJob starts an uploaded job and waits for it.
func runStartedModelJob(t *testing.T, c *client, id string) (jobView, []resultLine, string) {
	t.Helper()
	if code, _ := c.do("POST", "/v1/batch/"+id+"/start", nil, nil); code != http.StatusAccepted {
		t.Fatalf("start: %d", code)
	}
	v := c.waitStatus(id, time.Minute, "completed", "failed")
	if v.Status != "completed" {
		t.Fatalf("job %s: %+v %v", id, v, v.Error)
	}
	return v, parseResults(t, c.download(id)), id
}

func TestConfiguredModels(t *testing.T) {
	srv := modeltest.NewOpenAIServer(512)
	defer srv.Close()
	cfg := modelsConfig(t, srv)
	logs := &syncBuffer{}
	m := startMain(t, cfg, func(m *Main) { m.Log = newLogger(logs, "info", "text") })
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)

	// Tenants see the model's name and a plain reason; only the log names the server's file
	// (issue 22, finding 6).
	missingPath := cfg.Models["missing"].Path
	if s := logs.String(); !strings.Contains(s, missingPath) {
		t.Errorf("the log does not name the missing model's path %s:\n%s", missingPath, s)
	}
	var models struct {
		Models []classify.ModelInfo `json:"models"`
	}
	if code, _ := c.do("GET", "/v1/models", nil, &models); code != 200 || len(models.Models) != 6 {
		t.Fatalf("/v1/models: %d %+v", code, models)
	}
	ready := map[string]bool{}
	for _, mi := range models.Models {
		ready[mi.Name] = mi.Ready
		if mi.Name == "missing" && (!strings.Contains(mi.Error, "does not exist") || strings.Contains(mi.Error, "nope")) {
			t.Errorf("the model that could not load says %q, want a plain reason without its path", mi.Error)
		}
	}
	if !ready["builtin"] || !ready["potion"] || !ready["vec"] || !ready["bge"] || !ready["llm"] || ready["missing"] {
		t.Fatalf("readiness: %v", ready)
	}
	var rz map[string]any
	if code, _ := c.do("GET", "/readyz", nil, &rz); code != 200 || !strings.Contains(fmt.Sprint(rz["models_not_ready"]), "missing") {
		t.Fatalf("/readyz: %d %v", code, rz)
	}

	// Real-time calls with each embedding model; an unknown or unloaded model.
	for _, model := range []string{"potion", "bge", "llm"} {
		for _, tc := range modelTexts[:3] {
			body := withModel(model)
			body["text"] = tc.text
			var r struct{ Label string }
			if code, _ := c.do("POST", "/v1/classify", body, &r); code != 200 || r.Label != tc.want {
				t.Errorf("%s /v1/classify %q: %d %q, want %s", model, tc.text, code, r.Label, tc.want)
			}
		}
	}
	var e map[string]any
	if code, _ := c.do("POST", "/v1/classify", map[string]any{"text": "x", "labels": []string{"a", "b"}, "model": "gpt-9"}, &e); code != 422 ||
		!strings.Contains(fmt.Sprint(e["message"]), "builtin, llm, missing, potion, vec") {
		t.Fatalf("unknown model: %d %v", code, e)
	}
	if code, _ := c.do("POST", "/v1/classify", map[string]any{"text": "x", "labels": []string{"a", "b"}, "model": "missing"}, &e); code != 503 ||
		!strings.Contains(fmt.Sprint(e["message"]), "missing") || !strings.Contains(fmt.Sprint(e["message"]), "does not exist") ||
		strings.Contains(fmt.Sprint(e["message"]), "nope") {
		t.Fatalf("a model that could not load: %d %v", code, e)
	}

	// Saved classifiers keep their model.
	for _, model := range []string{"potion", "bge"} {
		body := withModel(model)
		body["name"] = "tickets-" + model
		if code, _ := c.do("POST", "/v1/classifiers", body, nil); code != 201 {
			t.Fatalf("save %s: %d", model, code)
		}
		before := srv.EmbeddedTexts.Load()
		var r struct{ Label string }
		if code, _ := c.do("POST", "/v1/classify", map[string]any{"classifier": "tickets-" + model, "text": modelTexts[1].text, "cache": false}, &r); code != 200 || r.Label != "technical" {
			t.Fatalf("classifier %s: %d %q", model, code, r.Label)
		}
		if asked := srv.EmbeddedTexts.Load() > before; asked != (model == "bge") {
			t.Errorf("classifier %s: the embedding server was asked: %v", model, asked)
		}
	}

	// A job with each model; the chat job has a line whose answer is never a label.
	input := modelJobInput(60)
	srv.SetFaults(func(s *modeltest.OpenAIServer) {
		s.NotALabel[fmt.Sprintf("%s (ticket %d)", modelTexts[2].text, 2)] = true
	})
	for _, model := range []string{"potion", "vec", "bge", "llm"} {
		v, res, id := runModelJob(t, c, withModel(model), input)
		if v.Status != "completed" || len(res) != 60 {
			t.Fatalf("%s job: %+v", model, v)
		}
		for i, r := range res {
			if model == "llm" && i == 2 {
				if !strings.Contains(r.Error, "not one of the labels") {
					t.Errorf("llm line 2: %+v, want it failed alone", r)
				}
				continue
			}
			if r.Label != modelTexts[i%len(modelTexts)].want {
				t.Errorf("%s line %d: %q, want %s", model, i, r.Label, modelTexts[i%len(modelTexts)].want)
			}
		}
		var view map[string]any
		c.do("GET", "/v1/batch/"+id, nil, &view)
		if spec, _ := view["spec"].(map[string]any); spec["model"] != model {
			t.Errorf("%s job view: spec.model %v", model, spec["model"])
		}
	}
}

// TestRemoteModelOutages: a server that is down fails its job with a clear error after the
// bounded retries, and start resumes it once the server is back; a cancel stops a job that
// waits on the server at once, and the restarted job keeps the lines it had written and
// completes.
func TestRemoteModelOutages(t *testing.T) {
	srv := modeltest.NewOpenAIServer(32)
	defer srv.Close()
	cfg := modelsConfig(t, srv)
	cfg.Pipeline.ChunkLines = 16
	m := startMain(t, cfg)
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)

	input := modelJobInput(200)
	job := c.createJob(withModel("llm"))
	if code, body := upload(t, job.UploadURL, [][2]string{{"key", job.UploadFields["key"]}}, strings.NewReader(input)); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, body)
	}
	srv.Down.Store(true)
	c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil)
	v := c.waitStatus(job.JobID, time.Minute, "failed", "completed")
	if v.Status != "failed" || v.Error == nil || !strings.Contains(*v.Error, "model llm") || !strings.Contains(*v.Error, "503") {
		t.Fatalf("job with its server down: %+v %v", v, v.Error)
	}
	srv.Down.Store(false)

	// Hold every request, start, and cancel while the job waits on the server.
	hold := make(chan struct{})
	srv.SetFaults(func(s *modeltest.OpenAIServer) { s.Hold = hold })
	before := srv.Requests.Load()
	c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil)
	for srv.Requests.Load() == before {
		time.Sleep(5 * time.Millisecond) // until the job's first request reaches the server
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/cancel", nil, nil); code != http.StatusAccepted {
		t.Fatalf("cancel: %d", code)
	}
	v = c.waitStatus(job.JobID, 30*time.Second, "failed", "completed")
	if v.Status != "failed" || v.Error == nil || *v.Error != "cancelled" {
		t.Fatalf("cancelled job: %+v", v)
	}
	close(hold)
	srv.SetFaults(func(s *modeltest.OpenAIServer) { s.Hold = nil })

	// Uploading a remote model's job does not wait on the model server: its fit is made
	// when the job starts.
	bgeJob := c.createJob(withModel("bge"))
	hold2 := make(chan struct{})
	srv.SetFaults(func(s *modeltest.OpenAIServer) { s.Hold = hold2 })
	uploaded := make(chan int, 1)
	go func() {
		code, _ := upload(t, bgeJob.UploadURL, [][2]string{{"key", bgeJob.UploadFields["key"]}}, strings.NewReader(input))
		uploaded <- code
	}()
	select {
	case code := <-uploaded:
		if code != http.StatusNoContent {
			t.Fatalf("upload: %d", code)
		}
	case <-time.After(30 * time.Second): // a deadline for a hang, not a timing assertion
		close(hold2) // let the server answer, so the appliance can stop
		t.Fatal("the upload of a remote model's job waited on the model server")
	}
	close(hold2)
	srv.SetFaults(func(s *modeltest.OpenAIServer) { s.Hold = nil })
	if _, res, _ := runStartedModelJob(t, c, bgeJob.JobID); len(res) != 200 {
		t.Fatalf("bge job: %d results", len(res))
	}

	// The server fails part-way: the job fails with what it wrote kept (its checkpoint);
	// the restarted job asks the server only about the lines after it, each once.
	// (At most 4 chunks of 16 lines are classified at once, so the first chunk is done
	// within the first 64 requests: some lines are always written before the failure.)
	srv.DownAfter.Store(srv.Requests.Load() + 100)
	c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil)
	v = c.waitStatus(job.JobID, time.Minute, "failed", "completed")
	if v.Status != "failed" || v.RequestsCompleted == 0 || v.RequestsCompleted >= 200 {
		t.Fatalf("job whose server failed part-way: %+v", v)
	}
	kept := v.RequestsCompleted
	srv.DownAfter.Store(0)
	asked := srv.ChatTexts.Load()
	c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil)
	v = c.waitStatus(job.JobID, time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsCompleted != 200 {
		t.Fatalf("restarted job: %+v %v", v, v.Error)
	}
	if n := srv.ChatTexts.Load() - asked; n != 200-kept {
		t.Fatalf("the restart asked about %d lines; %d were kept, so want %d", n, kept, 200-kept)
	}
	res := parseResults(t, c.download(job.JobID))
	seen := map[int64]bool{}
	for _, r := range res {
		if seen[r.Index] || r.Label != modelTexts[r.Index%int64(len(modelTexts))].want {
			t.Fatalf("result %+v (seen before: %v)", r, seen[r.Index])
		}
		seen[r.Index] = true
	}
	if len(seen) != 200 {
		t.Fatalf("%d distinct lines, want 200", len(seen))
	}
}
