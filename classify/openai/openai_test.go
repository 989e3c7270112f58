package openai

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/modeltest"
)

// The OpenAI-compatible kinds are tested against modeltest.OpenAIServer, an HTTP server in
// the test that implements /v1/embeddings and /v1/chat/completions as the OpenAI API
// documents them (no model server can run here), with injected faults.

func remoteCfg(srv *modeltest.OpenAIServer) Config {
	return Config{Name: "test", URL: srv.URL, Model: "m", MaxConcurrency: 3, BatchSize: 4,
		Timeout: 500 * time.Millisecond, Retries: 3, Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
}

var remoteSpec = classify.Spec{Labels: []string{"billing", "technical", "sales"}, Descriptions: map[string]string{
	"billing":   "invoice charge payment refund",
	"technical": "error crash bug server",
	"sales":     "price quote demo plan",
}}

var remoteTexts = []string{
	"please refund the invoice charge", "the server shows an error after the crash", "can we get a price quote and a demo",
	"refund my payment", "another crash and a bug", "what plan and price",
}

func remoteWant() []string {
	return []string{"billing", "technical", "sales", "billing", "technical", "sales"}
}

// TestEmbeddingsFaults: 429s, 500s, a malformed body and an answer past the timeout are each
// retried to success; a vector of the wrong length fails its own text only; a server that
// keeps failing fails the call with its own words after the bounded retries; a 400 is not
// retried.
func TestEmbeddingsFaults(t *testing.T) {
	srv := modeltest.NewOpenAIServer(32)
	defer srv.Close()
	e := NewEmbeddings(remoteCfg(srv), testBuiltin(t))
	m, err := e.Compile(remoteSpec)
	if err != nil {
		t.Fatal(err)
	}
	cm := m.(classify.ContextModel)
	run := func() ([]classify.Result, error) {
		out := make([]classify.Result, len(remoteTexts))
		return out, cm.ClassifyContext(context.Background(), remoteTexts, out)
	}
	for _, fault := range []func(s *modeltest.OpenAIServer){
		func(s *modeltest.OpenAIServer) { s.Fail429, s.RetryAfter = 2, "0" },
		func(s *modeltest.OpenAIServer) { s.Fail500 = 2 },
		func(s *modeltest.OpenAIServer) { s.Malformed = 1 },
		func(s *modeltest.OpenAIServer) { s.Slow, s.SlowBy = 1, 2*time.Second },
	} {
		srv.SetFaults(fault)
		out, err := run()
		if err != nil {
			t.Fatalf("a fault that clears was not retried to success: %v", err)
		}
		for i, r := range out {
			if r.Err != "" || r.Label != remoteWant()[i] {
				t.Fatalf("%q -> %+v, want %s", remoteTexts[i], r, remoteWant()[i])
			}
		}
	}
	srv.SetFaults(func(s *modeltest.OpenAIServer) { s.BadDims[remoteTexts[1]] = true })
	out, err := run()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out[1].Err, "dimensions") || out[0].Err != "" || out[2].Label != "sales" {
		t.Fatalf("a wrong-length vector: %+v / %+v", out[1], out[0])
	}
	srv.SetFaults(func(s *modeltest.OpenAIServer) { delete(s.BadDims, remoteTexts[1]); s.Fail500 = 1000 })
	before := srv.Requests.Load()
	_, err = run()
	var re *classify.RemoteError
	if !errors.As(err, &re) || re.Status != 500 || !strings.Contains(re.Message, "CUDA out of memory") {
		t.Fatalf("a failing server: %v, want its 500 and its message", err)
	}
	// 2 batches × (1 + 3 retries), at most.
	if n := srv.Requests.Load() - before; n > 8 {
		t.Fatalf("%d requests for a failing server, want at most 8 (bounded retries)", n)
	}
	srv.SetFaults(func(s *modeltest.OpenAIServer) { s.Fail500 = 0 })
	bad := NewEmbeddings(Config{Name: "x", URL: srv.URL, Retries: 3, Backoff: time.Millisecond}, testBuiltin(t))
	before = srv.Requests.Load()
	if _, err := bad.Compile(remoteSpec); !errors.As(err, &re) || re.Status != 400 {
		t.Fatalf("a request the server refuses (no model): %v, want its 400", err)
	}
	if n := srv.Requests.Load() - before; n != 1 {
		t.Fatalf("a 400 was sent %d times, want once", n)
	}
	if retryAfter("7") != 7*time.Second || retryAfter("Wed, 21 Oct 2015 07:28:00 GMT") != 0 {
		t.Fatal("Retry-After parsing")
	}
}

// TestEmbeddingsCancel: cancelling stops a call that waits on the server.
func TestEmbeddingsCancel(t *testing.T) {
	srv := modeltest.NewOpenAIServer(16)
	defer srv.Close()
	e := NewEmbeddings(remoteCfg(srv), testBuiltin(t))
	m, err := e.Compile(remoteSpec)
	if err != nil {
		t.Fatal(err)
	}
	hold := make(chan struct{})
	defer close(hold)
	srv.SetFaults(func(s *modeltest.OpenAIServer) { s.Hold = hold })
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- m.(classify.ContextModel).ClassifyContext(ctx, remoteTexts, make([]classify.Result, len(remoteTexts)))
	}()
	for srv.Requests.Load() == 0 {
		time.Sleep(time.Millisecond) // waiting for the request to arrive, not a timing assertion
	}
	cause := errors.New("cancelled by the test")
	cancel(cause)
	if err := <-done; !errors.Is(err, cause) {
		t.Fatalf("cancelled call: %v, want the cancel's cause", err)
	}
}

// TestEmbeddingsFit: a batch job's fit and its fitted model on the server's vectors.
func TestEmbeddingsFit(t *testing.T) {
	srv := modeltest.NewOpenAIServer(32)
	defer srv.Close()
	e := NewEmbeddings(remoteCfg(srv), testBuiltin(t))
	var sample []string
	for range 20 {
		sample = append(sample, remoteTexts...)
	}
	state, err := e.Fit(remoteSpec, sample)
	if err != nil {
		t.Fatal(err)
	}
	m, err := e.CompileFitted(remoteSpec, state)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]classify.Result, len(remoteTexts))
	if err := m.(classify.ContextModel).ClassifyContext(context.Background(), remoteTexts, out); err != nil {
		t.Fatal(err)
	}
	for i, r := range out {
		if r.Label != remoteWant()[i] || r.Tokens == 0 {
			t.Errorf("%q -> %+v, want %s", remoteTexts[i], r, remoteWant()[i])
		}
	}
	if e.Dims() != 32 || e.UsageTokens() == 0 {
		t.Errorf("dims %d, usage %d", e.Dims(), e.UsageTokens())
	}
	p, err := e.Preview(remoteSpec, []classify.SampleText{{Index: 0, Text: remoteTexts[0]}, {Index: 1, Text: remoteTexts[1]}})
	if err != nil || p.SampleLines != 2 {
		t.Fatalf("preview: %v %+v", err, p)
	}
}

// TestChat: answers constrained by the schema, a server without response_format asked again
// with a bare label, confidence from logprobs, a text whose answer is never a label failing
// alone after the tries, and multi mode.
func TestChat(t *testing.T) {
	srv := modeltest.NewOpenAIServer(8)
	defer srv.Close()
	c := NewChat(remoteCfg(srv), testBuiltin(t))
	for _, noSchema := range []bool{false, true} {
		srv.SetFaults(func(s *modeltest.OpenAIServer) { s.NoSchema = noSchema; s.NotALabel[remoteTexts[2]] = true })
		m, err := c.Compile(remoteSpec)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]classify.Result, len(remoteTexts))
		if err := m.(classify.ContextModel).ClassifyContext(context.Background(), remoteTexts, out); err != nil {
			t.Fatal(err)
		}
		for i, r := range out {
			if i == 2 {
				if !strings.Contains(r.Err, "not one of the labels") {
					t.Errorf("schema %v: an answer that is not a label: %+v", !noSchema, r)
				}
				continue
			}
			if r.Label != remoteWant()[i] || r.Confidence != 0.9003 {
				t.Errorf("schema %v: %q -> %+v, want %s at exp(-0.105)", !noSchema, remoteTexts[i], r, remoteWant()[i])
			}
		}
	}
	if !c.noSchema.Load() {
		t.Error("the server refused response_format but the model did not remember it")
	}
	multi := remoteSpec
	multi.Mode = classify.ModeMulti
	m, _ := c.Compile(multi)
	out := make([]classify.Result, 1)
	if err := m.(classify.ContextModel).ClassifyContext(context.Background(), remoteTexts[:1], out); err != nil || len(out[0].Labels) != 1 || out[0].Labels[0].Label != "billing" {
		t.Fatalf("multi: %v %+v", err, out[0])
	}
	srv.Down.Store(true)
	if err := m.(classify.ContextModel).ClassifyContext(context.Background(), remoteTexts[:1], out); err == nil {
		t.Fatal("a server that is down answered")
	}
}
