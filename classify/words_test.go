package classify

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/classer-ai/classer-batch/classify/modeltest"
	"github.com/classer-ai/classer-batch/classify/wordvec"
)

// TestStaticStudentReadsBuiltinWords: a fitted static model hands the student the rows of
// the built-in model's words (the fit state's vocabulary), not its own token ids, which
// number a different vocabulary.
func TestStaticStudentReadsBuiltinWords(t *testing.T) {
	b := testBuiltin(t)
	words := []string{"[UNK]", "invoice", "the", "refund", "crash"}
	vecs := make([][]float32, len(words))
	for i, w := range words {
		vecs[i] = make([]float32, b.dims)
		vecs[i][i] = 1
		if r := b.w.Row(w); i > 0 && int(r) == i {
			t.Fatalf("%q has the same row in both models: the test cannot tell them apart", w)
		}
	}
	dir := filepath.Join(t.TempDir(), "m2v")
	if err := modeltest.Model2Vec(dir, words, vecs, "F32"); err != nil {
		t.Fatal(err)
	}
	static, err := wordvec.LoadStatic(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := NewWordClassifier(static, b.w)
	text := "refund the invoice after the crash"
	var got, want []int32
	v := make([]float32, c.dims)
	if kn, _ := c.vectorAndWords(c.w.Reader(), c.wordReader(), text, v, &got); kn == 0 {
		t.Fatal("the static model knows no word of the text")
	}
	b.w.Reader()(text, nil, false, &want)
	if !slices.Equal(got, want) || len(want) == 0 {
		t.Fatalf("student rows %v, want the built-in model's %v", got, want)
	}
}
