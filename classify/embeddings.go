package classify

import (
	"context"
	"fmt"
	"strings"

	"github.com/classer-ai/classer-batch/classify/internal/vec"
)

// Embeddings is the decision layer over a server's text vectors (openai.Embeddings makes
// one for a server with the OpenAI embeddings API). The vectors go through the same
// decision layer as the built-in model's in a batch job (centring, catch-alls, the naive
// Bayes student over the built-in model's words: fit.go); real-time calls score the plain
// cosine with each label's prototype (there is no vocabulary to calibrate against, as
// Compile does for static models).
type Embeddings struct {
	src   Embedder
	words WordVectors
}

// Real-time scores of a remote embedding model, set by reasoning (no embedding server runs
// where this was written): sentence-embedding cosines between a text and the label that fits
// it are typically 0.1–0.3 above the others', so a slope of 20 turns a 0.1 lead into about
// 88 % between two labels; in multi mode a label applies from a cosine of 0.5.
const (
	remoteKappa       = 20
	remoteMultiKappa  = 20
	remoteMultiCentre = 0.5
)

// NewEmbeddings returns the model over src's vectors; words is the built-in model (token
// counts, the student's words, glossary expansions' tokenisation).
func NewEmbeddings(src Embedder, words WordVectors) *Embeddings {
	return &Embeddings{src: src, words: words}
}

var (
	_ Classifier   = (*Embeddings)(nil)
	_ Fitter       = (*Embeddings)(nil)
	_ VectorSource = (*Embeddings)(nil)
)

// Dims is the vectors' length (0 until the server first answered).
func (e *Embeddings) Dims() int { return e.src.Dims() }

// Tokens counts a text's tokens with the built-in tokenizer (the server's own count is in
// UsageTokens).
func (e *Embeddings) Tokens(text string) int { return e.words.Tokens(text) }

// WordModel implements VectorSource: the built-in model (the student's words).
func (e *Embeddings) WordModel() WordVectors { return e.words }

// TextVectors implements VectorSource.
func (e *Embeddings) TextVectors(ctx context.Context, texts []string) ([][]float32, error) {
	v, _, err := e.embed(ctx, texts)
	return v, err
}

// LabelVectors implements VectorSource: it embeds each label's prototype text: "label: description", or the name and its
// glossary expansion; the examples' centroid is added.
func (e *Embeddings) LabelVectors(ctx context.Context, spec Spec, catchAll []bool) ([][]float32, error) {
	var texts []string
	type part struct{ label, text int }
	var parts []part
	add := func(l int, t string) {
		parts = append(parts, part{l, len(texts)})
		texts = append(texts, t)
	}
	for l, label := range spec.Labels {
		if catchAll[l] {
			continue
		}
		if d := spec.Descriptions[label]; d != "" {
			add(l, label+": "+d)
		} else if exp := Expansion(spec, label); exp != nil {
			add(l, label+": "+strings.Join(exp, ", "))
		} else {
			add(l, label)
		}
		for _, ex := range spec.Examples[label] {
			add(l, ex)
		}
	}
	vecs, _, err := e.embed(ctx, texts)
	if err != nil {
		return nil, err
	}
	out := make([][]float32, len(spec.Labels))
	exs := make([][]float32, len(spec.Labels))
	first := map[int]bool{}
	for _, p := range parts {
		v := vecs[p.text]
		if v == nil {
			continue
		}
		if !first[p.label] {
			first[p.label] = true
			out[p.label] = append([]float32(nil), v...)
			continue
		}
		if exs[p.label] == nil {
			exs[p.label] = make([]float32, len(v))
		}
		vec.Axpy(exs[p.label], 1, v)
	}
	for l := range out {
		if exs[l] != nil && vec.Normalize(exs[l]) {
			if out[l] == nil {
				out[l] = exs[l]
			} else {
				vec.Axpy(out[l], 1, exs[l])
			}
		}
		if out[l] != nil && !vec.Normalize(out[l]) {
			out[l] = nil
		}
	}
	return out, nil
}

// embed returns a unit vector per text, or nil with the reason in errs (Embedder.Embed).
func (e *Embeddings) embed(ctx context.Context, texts []string) ([][]float32, []string, error) {
	vecs, errs, err := e.src.Embed(ctx, texts)
	for _, v := range vecs {
		if v != nil {
			vec.Normalize(v)
		}
	}
	return vecs, errs, err
}

// Compile implements Classifier: the labels' prototypes are embedded now.
func (e *Embeddings) Compile(spec Spec) (Model, error) {
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.src.Patience())
	defer cancel()
	catch := catchAlls(spec)
	protos, err := e.LabelVectors(ctx, spec, catch)
	if err != nil {
		return nil, err
	}
	return &embeddingsModel{e: e, spec: spec, protos: protos, catchAll: catch}, nil
}

// Fit implements Fitter: the batch decision layer over the server's vectors.
func (e *Embeddings) Fit(spec Spec, sample []string) ([]byte, error) {
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		return nil, err
	}
	return fitWith(context.Background(), e, spec, sample)
}

// CompileFitted implements Fitter.
func (e *Embeddings) CompileFitted(spec Spec, state []byte) (Model, error) {
	if state == nil {
		return e.Compile(spec)
	}
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		return nil, err
	}
	f, err := decodeFit(state)
	if err != nil {
		return nil, err
	}
	if f.nl != len(spec.Labels) || f.multi != (spec.Mode == ModeMulti) {
		return nil, fmt.Errorf("fit state: %d labels (multi %v), spec has %d (mode %s)", f.nl, f.multi, len(spec.Labels), spec.Mode)
	}
	if d := e.Dims(); d != 0 && d != f.d {
		return nil, fmt.Errorf("fit state: %d dimensions, the model server now answers %d", f.d, d)
	}
	f.compile(e.words)
	return &embeddingsModel{e: e, spec: spec, fit: f}, nil
}

// Preview implements the preview of a spec on a sample (preview.go).
func (e *Embeddings) Preview(spec Spec, sample []SampleText) (*Preview, error) {
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		return nil, err
	}
	return previewWith(context.Background(), e, spec, sample)
}

// embeddingsModel classifies with the server's vectors: fitted (a batch job) or the plain
// cosine with the prototypes (real-time).
type embeddingsModel struct {
	e        *Embeddings
	spec     Spec
	protos   [][]float32 // real-time
	catchAll []bool
	fit      *fitted
}

var _ ContextModel = (*embeddingsModel)(nil)

func (m *embeddingsModel) Concurrency() int { return m.e.src.Concurrency() }

func (m *embeddingsModel) Classify(texts []string, out []Result) {
	if err := m.ClassifyContext(context.Background(), texts, out); err != nil {
		FailAll(out, err)
	}
}

func (m *embeddingsModel) ClassifyContext(ctx context.Context, texts []string, out []Result) error {
	vecs, errs, err := m.e.embed(ctx, texts)
	if err != nil {
		return err
	}
	nl := len(m.spec.Labels)
	logit := make([]float64, nl)
	var sc *fitScratch
	if m.fit != nil {
		sc = m.fit.scratch()
	}
	read := m.e.words.Reader()
	var rows []int32
	multi := m.spec.Mode == ModeMulti
	for i, text := range texts {
		tokens := m.e.words.Tokens(text)
		switch {
		case errs[i] != "":
			out[i] = Result{Err: errs[i], Tokens: tokens}
			continue
		case vecs[i] == nil:
			out[i] = Result{Err: "the model server returned no vector for this text", Tokens: tokens}
			continue
		}
		if m.fit != nil {
			rows = rows[:0]
			read(text, nil, false, &rows)
			m.fit.logits(vecs[i], rows, logit, sc)
			if multi {
				out[i] = m.fit.multiResult(m.spec.Labels, logit, *m.spec.Threshold, tokens)
			} else {
				out[i] = m.fit.singleResult(m.spec.Labels, logit, tokens, m.fit.namesAnswer(sc))
			}
			continue
		}
		out[i] = m.realtime(vecs[i], logit, tokens)
	}
	return nil
}

// realtime scores v by its cosine with each prototype (a catch-all: the multi centre).
func (m *embeddingsModel) realtime(v []float32, logit []float64, tokens int) Result {
	multi := m.spec.Mode == ModeMulti
	for l, p := range m.protos {
		c := float64(remoteMultiCentre)
		if p != nil && !m.catchAll[l] {
			var s float32
			for j := range v {
				s += v[j] * p[j]
			}
			c = float64(s)
		}
		if multi {
			logit[l] = remoteMultiKappa * (c - remoteMultiCentre)
		} else {
			logit[l] = remoteKappa * c
		}
	}
	if multi {
		f := &fitted{catchAll: m.catchAll}
		return f.multiResult(m.spec.Labels, logit, *m.spec.Threshold, tokens)
	}
	p := softmaxTemp(logit, 1)
	best := argmax(p)
	return Result{Label: m.spec.Labels[best], Confidence: Round4(p[best]), Tokens: tokens}
}

// FailAll answers every text with err (a Classify without a way to return it).
func FailAll(out []Result, err error) {
	for i := range out {
		out[i] = Result{Err: err.Error()}
	}
}
