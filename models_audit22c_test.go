package main

import (
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/classify/modeltest"
)

// TestConfiguredModelStalls: issue 22's finding 15 as the audit met it, through the config:
// an openai-embeddings model whose server never answers, with the default retries, whose
// /v1/classify ran past the compile's deadline and answered 500. It is a 504 naming the
// model, and neither the answer nor GET /v1/models shows the URL or its credentials.
func TestConfiguredModelStalls(t *testing.T) {
	srv := modeltest.NewOpenAIServer(8)
	hold := make(chan struct{})
	srv.SetFaults(func(s *modeltest.OpenAIServer) { s.Hold = hold })
	defer srv.Close()
	defer close(hold)
	cfg := testConfig(t, t.TempDir())
	cfg.Models = map[string]ModelConfig{"stalled": {Kind: "openai-embeddings", Model: "bge",
		URL: modeltest.WithUserinfo(srv.URL, "operator", "hunter2-s3cret"), Timeout: 200 * time.Millisecond}}
	m := startMain(t, cfg)
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)

	var e struct{ Code, Message string }
	code, _ := c.do("POST", "/v1/classify", map[string]any{"text": "where is my refund", "labels": []string{"billing", "sales"}, "model": "stalled"}, &e)
	if code != 504 || e.Code != "MODEL_TIMEOUT" || !strings.HasPrefix(e.Message, "model stalled: ") {
		t.Fatalf("a model server that never answers: %d %+v, want 504 MODEL_TIMEOUT naming the model", code, e)
	}
	var models struct {
		Models []struct{ Name, Error string }
	}
	c.do("GET", "/v1/models", nil, &models)
	for _, mi := range models.Models {
		for _, s := range []string{e.Message, mi.Error} {
			for _, secret := range []string{"operator", "hunter2", "127.0.0.1"} {
				if strings.Contains(s, secret) {
					t.Errorf("%q shows %q", s, secret)
				}
			}
		}
	}
}
