package classify

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/classify/modeltest"
	"github.com/classer-ai/classer-batch/classify/wordvec"
)

// BenchmarkStatic loads and runs a generated static model of potion-base-8M's shape
// (29,528 tokens × 256 dimensions, random vectors) written as F32 safetensors (30 MB).
func BenchmarkStatic(b *testing.B) {
	words, err := wordvec.NewBuiltin()
	if err != nil {
		b.Fatal(err)
	}
	vocab := []string{"[UNK]"}
	for r := int32(0); len(vocab) < 29528 && int(r) < words.Vocabulary(); r++ {
		// (A zero scale marks a row with no letter: punctuation.)
		if w := words.Word(r); !strings.ContainsAny(w, "[]") {
			if _, scale := words.Weights(r); scale == 0 {
				continue
			}
			vocab = append(vocab, w)
		}
	}
	rng := rand.New(rand.NewPCG(7, 7))
	vecs := make([][]float32, len(vocab))
	for i := range vecs {
		vecs[i] = make([]float32, 256)
		for j := range vecs[i] {
			vecs[i][j] = float32(rng.NormFloat64())
		}
	}
	dir := filepath.Join(b.TempDir(), "potion-shaped")
	if err := modeltest.Model2Vec(dir, vocab, vecs, "F32"); err != nil {
		b.Fatal(err)
	}
	b.Run("load", func(b *testing.B) {
		for b.Loop() {
			m, err := wordvec.LoadStatic(dir)
			if err != nil {
				b.Fatal(err)
			}
			m.Calibration() // the calibration statistics are part of being ready
		}
	})
	static, err := wordvec.LoadStatic(dir)
	if err != nil {
		b.Fatal(err)
	}
	m := NewWordClassifier(static, words)
	spec := Spec{Labels: []string{"billing", "technical", "sales"}}
	for _, set := range []struct {
		name  string
		lines []string
	}{{"", benchTexts}, {"Mixed", modeltest.MixedTexts}} {
		texts := make([]string, 256)
		var n int64
		for i := range texts {
			texts[i] = set.lines[i%len(set.lines)]
			n += int64(len(texts[i]))
		}
		state, _ := m.Fit(spec, texts)
		for name, mk := range map[string]func() (Model, error){
			"classify3Labels":       func() (Model, error) { return m.Compile(spec) },
			"classifyFitted3Labels": func() (Model, error) { return m.CompileFitted(spec, state) },
		} {
			model, err := mk()
			if err != nil {
				b.Fatal(err)
			}
			out := make([]Result, len(texts))
			b.Run(name+set.name, func(b *testing.B) {
				b.SetBytes(n)
				done := reportCPU(b, n)
				for b.Loop() {
					model.Classify(texts, out)
				}
				done()
			})
		}
	}
}
