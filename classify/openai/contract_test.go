package openai

import (
	"testing"

	"github.com/classer-ai/classer-batch/classify/classifytest"
	"github.com/classer-ai/classer-batch/classify/modeltest"
)

// TestContract runs the providers' contract against both models over real HTTP, the fake
// server failing one text of each.
func TestContract(t *testing.T) {
	const bad = "a text the server cannot answer"
	srv := modeltest.NewOpenAIServer(32)
	defer srv.Close()
	srv.SetFaults(func(s *modeltest.OpenAIServer) { s.BadDims[bad], s.NotALabel[bad] = true, true })
	t.Run("embeddings", func(t *testing.T) {
		classifytest.Run(t, classifytest.Provider{Model: NewEmbeddings(remoteCfg(srv), testBuiltin(t)), Unanswerable: bad})
	})
	t.Run("chat", func(t *testing.T) {
		classifytest.Run(t, classifytest.Provider{Model: NewChat(remoteCfg(srv), testBuiltin(t)), Unanswerable: bad})
	})
}
