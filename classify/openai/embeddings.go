package openai

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/classer-ai/classer-batch/classify"
)

// Embeddings is a model whose text vectors come from a server with the OpenAI embeddings API
// (kind openai-embeddings): POST {url}/v1/embeddings {"model", "input": [texts]}. The
// decision layer over the vectors is classify.Embeddings; this adds the server's
// capabilities (Ping, UsageTokens).
type Embeddings struct {
	*classify.Embeddings
	s *embedder
}

// NewEmbeddings returns the model; words is the built-in model (token counts, the
// student's words, glossary expansions' tokenisation).
func NewEmbeddings(cfg Config, words classify.WordVectors) *Embeddings {
	s := &embedder{c: newClient(cfg)}
	return &Embeddings{Embeddings: classify.NewEmbeddings(s, words), s: s}
}

var (
	_ classify.Classifier   = (*Embeddings)(nil)
	_ classify.Fitter       = (*Embeddings)(nil)
	_ classify.Previewer    = (*Embeddings)(nil)
	_ classify.VectorSource = (*Embeddings)(nil)
	_ classify.Remote       = (*Embeddings)(nil)
	_ classify.UsageCounter = (*Embeddings)(nil)
	_ classify.Dimensioned  = (*Embeddings)(nil)
	_ classify.Embedder     = (*embedder)(nil)
)

// UsageTokens is how many tokens the server reported using.
func (e *Embeddings) UsageTokens() int64 { return e.s.c.tokens.Load() }

// Ping embeds one short text: whether the server answers now.
func (e *Embeddings) Ping(ctx context.Context) error {
	_, errs, err := e.s.Embed(ctx, []string{"ping"})
	if err == nil && errs[0] != "" {
		err = fmt.Errorf("%s", errs[0])
	}
	return err
}

// embedder asks the server for vectors.
type embedder struct {
	c    *client
	dims atomic.Int64 // learned from the first answer
}

// Dims implements classify.Embedder.
func (e *embedder) Dims() int { return int(e.dims.Load()) }

// Concurrency implements classify.Embedder.
func (e *embedder) Concurrency() int { return e.c.cfg.MaxConcurrency }

// Patience implements classify.Embedder: every try of a request, each within Timeout.
func (e *embedder) Patience() time.Duration {
	return e.c.cfg.Timeout * time.Duration(e.c.cfg.Retries+1)
}

// Embed implements classify.Embedder: a vector per text (nil, with a reason in errs, for a text the server
// gave no usable vector for: an empty one, or one of another length than its others), in
// requests of BatchSize texts, as many at once as the server allows. err is set when a
// request failed for good.
func (e *embedder) Embed(ctx context.Context, texts []string) ([][]float32, []string, error) {
	out := make([][]float32, len(texts))
	errs := make([]string, len(texts))
	bs := e.c.cfg.BatchSize
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for start := 0; start < len(texts); start += bs {
		end := min(start+bs, len(texts))
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.embedBatch(ctx, texts[start:end], out[start:end], errs[start:end]); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return out, errs, first
}

type embeddingsAnswer struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float64 `json:"embedding"`
	} `json:"data"`
}

func (e *embedder) embedBatch(ctx context.Context, texts []string, out [][]float32, errs []string) error {
	var ans embeddingsAnswer
	err := e.c.post(ctx, "/v1/embeddings", map[string]any{"model": e.c.cfg.Model, "input": texts}, &ans, func() error {
		if len(ans.Data) != len(texts) {
			return fmt.Errorf("%w: %d embeddings for %d texts", errBadAnswer, len(ans.Data), len(texts))
		}
		for _, d := range ans.Data {
			if d.Index < 0 || d.Index >= len(texts) {
				return fmt.Errorf("%w: embedding index %d for %d texts", errBadAnswer, d.Index, len(texts))
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, d := range ans.Data {
		n := int64(len(d.Embedding))
		if n == 0 {
			errs[d.Index] = "the model server returned an empty vector"
			continue
		}
		if !e.dims.CompareAndSwap(0, n) && e.dims.Load() != n {
			errs[d.Index] = fmt.Sprintf("the model server returned a vector of %d dimensions, not %d as before", n, e.dims.Load())
			continue
		}
		v := make([]float32, n)
		var ss float64
		for j, x := range d.Embedding {
			v[j] = float32(x)
			ss += x * x
		}
		if ss == 0 || math.IsNaN(ss) || math.IsInf(ss, 0) {
			errs[d.Index] = "the model server returned a zero or invalid vector"
			continue
		}
		out[d.Index] = v // made unit by classify.Embeddings
	}
	return nil
}
