package classify

import (
	"context"
	"time"
)

// VectorSource is a model as the batch decision layer reads it (fit.go, preview.go): unit
// text vectors, the labels' prototypes, and the word model whose vocabulary the student
// uses. The built-in and static models and a remote embedding server are vector sources;
// a chat model is not (it answers each text itself).
type VectorSource interface {
	// Dims is the vectors' length (a remote model's is 0 until its server first answered).
	Dims() int
	// TextVectors returns a unit vector per text, nil for a text with nothing to embed.
	TextVectors(ctx context.Context, texts []string) ([][]float32, error)
	// LabelVectors returns each label's batch prototype (batchPrototype): unit, not
	// centred, nil for a label with nothing to embed. Catch-alls are not asked for.
	LabelVectors(ctx context.Context, spec Spec, catchAll []bool) ([][]float32, error)
	// WordModel is the model whose words the corpus fit's student reads (the built-in).
	WordModel() WordVectors
}

// Embedder is a server that embeds texts (openai.Embeddings has one): Embeddings is the
// decision layer over its vectors, a VectorSource.
type Embedder interface {
	// Embed returns a vector per text (non-zero and finite, not necessarily unit), or nil
	// with the reason in errs for a text the server gave no usable vector for; err is set
	// when a request failed for good.
	Embed(ctx context.Context, texts []string) (vecs [][]float32, errs []string, err error)
	// Dims is the vectors' length, 0 until the server first answered.
	Dims() int
	// Concurrency is how many requests the server takes at once.
	Concurrency() int
	// Patience bounds a Compile, which embeds the labels: one request with all its retries.
	Patience() time.Duration
}

// The optional capabilities of a model, which the registry (Models) reports and routes by.
type (
	// Remote is a model served over the network: its fit waits on a server, and Ping says
	// whether the server answers now.
	Remote interface {
		Ping(ctx context.Context) error
	}
	// Dimensioned is a model whose vectors' length can be shown (GET /v1/models).
	Dimensioned interface {
		Dims() int
	}
	// UsageCounter is a model whose server reports the tokens it used.
	UsageCounter interface {
		UsageTokens() int64
	}
	// Previewer is a model that can preview a spec on a sample (preview.go).
	Previewer interface {
		Preview(spec Spec, sample []SampleText) (*Preview, error)
	}
)

var (
	_ Previewer = (*Embeddings)(nil)
	_ Previewer = (*Models)(nil)
)
