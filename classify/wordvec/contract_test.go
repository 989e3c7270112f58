package wordvec_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/classifytest"
	"github.com/classer-ai/classer-batch/classify/modeltest"
	"github.com/classer-ai/classer-batch/classify/wordvec"
)

// The built-in and static models are what the decision layer reads (checked here, not in
// wordvec, which does not import classify).
var _ classify.WordVectors = (*wordvec.Model)(nil)

// TestContract runs the providers' contract against the built-in model and static models
// in both file formats, made from the built-in model's vectors of the suite's words.
func TestContract(t *testing.T) {
	b, err := wordvec.NewBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("builtin", func(t *testing.T) {
		classifytest.Run(t, classifytest.Provider{Model: classify.NewWordClassifier(b, b)})
	})

	words := contractWords(b)
	vecs := make([][]float32, len(words))
	for i, w := range words {
		vecs[i], _, _ = b.WordVector(w)
	}
	dir := filepath.Join(t.TempDir(), "m2v")
	unk := make([]float32, len(vecs[0]))
	if err := modeltest.Model2Vec(dir, append([]string{"[UNK]"}, words...), append([][]float32{unk}, vecs...), "F32"); err != nil {
		t.Fatal(err)
	}
	vec := filepath.Join(t.TempDir(), "words.vec")
	if err := modeltest.WordVectors(vec, words, vecs, true); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{"model2vec": dir, "vec": vec} {
		m, err := wordvec.LoadStatic(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			classifytest.Run(t, classifytest.Provider{Model: classify.NewWordClassifier(m, b)})
		})
	}
}

// contractWords are the suite's words and some common ones, each with a built-in vector.
func contractWords(b *wordvec.Model) []string {
	text := strings.Join(classifytest.Texts, " ") + " " + strings.Join(classifytest.Spec.Labels, " ")
	for _, d := range classifytest.Spec.Descriptions {
		text += " " + d
	}
	text += " the a an of to and in is it for on that this with was as be at by or from have not are but"
	var words []string
	seen := map[string]bool{}
	for _, w := range strings.Fields(text) {
		if _, _, ok := b.WordVector(w); ok && !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}
