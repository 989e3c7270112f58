package wordvec

import (
	"slices"
	"testing"
)

// TestCliticRows: a clitic the vocabulary lacks counts as the word it stands for, in the
// text vector's rows and in the word rows alike.
func TestCliticRows(t *testing.T) {
	m := testBuiltin(t)
	read := m.Reader()
	v := make([]float32, m.Dims())
	aliased := 0
	for _, c := range []struct{ text, clitic, word string }{
		{"they don't", "n't", "not"}, {"they're", "'re", "are"}, {"they've", "'ve", "have"},
		{"they'll", "'ll", "will"}, {"I'm", "'m", "am"}, {"they'd", "'d", "would"},
	} {
		want := m.Row(c.clitic)
		if want < 0 {
			want = m.Row(c.word)
			aliased++
		}
		for _, vv := range [][]float32{v, nil} {
			var rows []int32
			read(c.text, vv, false, &rows)
			if !slices.Contains(rows, want) {
				t.Errorf("%q (vector %v): rows %v lack %q's row %d", c.text, vv != nil, rows, c.word, want)
			}
		}
	}
	if aliased == 0 {
		t.Fatal("every clitic is in the vocabulary: nothing tested the aliases")
	}
}
