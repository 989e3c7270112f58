package wordvec

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/modeltest"
)

const wordPieceJSON = `{
 "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
 "pre_tokenizer": {"type": "BertPreTokenizer"},
 "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 12,
   "vocab": {"[UNK]": 0, "the": 1, "app": 2, "crash": 3, "##es": 4, "##ing": 5, "un": 6, "##known": 7, "!": 8, "cafe": 9, "好": 10}}
}`

// TestWordPiece checks BERT-style tokenization against ids worked out by hand: lower-case,
// accents stripped, punctuation split off, greedy longest-match pieces with "##", unknown
// pieces and over-long words as [UNK], CJK characters one by one.
func TestWordPiece(t *testing.T) {
	tok, err := parseHFTokenizer([]byte(wordPieceJSON))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want []int32
	}{
		{"The APP crashes, unknown crashing!", []int32{1, 2, 3, 4, 0, 6, 7, 3, 5, 8}},
		{"Café\tthe\x00 好app", []int32{9, 1, 10, 2}},
		{"crashcrashcrash", []int32{0}}, // 15 characters > max_input_chars_per_word
		{"crashx", []int32{0}},          // "x" is no piece: the whole word is unknown
		{"", nil},
	} {
		if got := tok.tokenize(tc.text, nil); !slices.Equal(got, tc.want) {
			t.Errorf("%q: ids %v, want %v", tc.text, got, tc.want)
		}
	}
}

// TestUnigram checks SentencePiece-style segmentation (Metaspace, Viterbi over the pieces'
// log-probabilities) against a hand-worked example.
func TestUnigram(t *testing.T) {
	const js = `{
	 "normalizer": {"type": "Sequence", "normalizers": [{"type": "Nmt"}, {"type": "NFKC"}, {"type": "Lowercase"}]},
	 "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
	 "model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0], ["▁the", -1], ["▁app", -2], ["s", -3], ["▁a", -3], ["pp", -3], ["▁apps", -6], ["▁", -4], ["x", -5]]}
	}`
	tok, err := parseHFTokenizer([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text string
		want []int32
	}{
		// "▁apps": "▁app"+"s" scores −5, beating "▁apps" (−6) and "▁a"+"pp"+"s" (−9).
		{"The Apps", []int32{1, 2, 3}},
		{"the app", []int32{1, 2}},
		// "▁qq": "▁" then two characters no piece covers: one merged unknown.
		{"qq", []int32{7, 0}},
	} {
		if got := tok.tokenize(tc.text, nil); !slices.Equal(got, tc.want) {
			t.Errorf("%q: ids %v, want %v", tc.text, got, tc.want)
		}
	}
	if _, err := parseHFTokenizer([]byte(`{"model": {"type": "BPE", "vocab": {}}}`)); err == nil || !strings.Contains(err.Error(), `"BPE"`) {
		t.Errorf("a BPE model: %v, want an error naming it", err)
	}
	if _, err := parseHFTokenizer([]byte(`{"normalizer": {"type": "Precompiled"}, "model": {"type": "WordPiece", "vocab": {}}}`)); err == nil || !strings.Contains(err.Error(), "Precompiled") {
		t.Errorf("an unknown normalizer: %v, want an error naming it", err)
	}
}

// staticVocab is a test model's vocabulary: [UNK], two WordPiece suffixes and the built-in
// model's 3,000 most frequent words, with their built-in vectors (the suffixes get small
// ones), so that a static model built from it classifies like the built-in one.
func staticVocab(t testing.TB) ([]string, [][]float32) {
	b := testBuiltin(t)
	vocab := []string{"[UNK]", "##s", "##ing"}
	vecs := [][]float32{make([]float32, b.dims), make([]float32, b.dims), make([]float32, b.dims)}
	vecs[1][0], vecs[2][1] = 0.01, 0.01
	for r := 0; len(vocab) < 3003 && r < len(b.index); r++ {
		w := b.index[r]
		if v, _, ok := b.WordVector(w); ok {
			vocab = append(vocab, w)
			vecs = append(vecs, v)
		}
	}
	for _, w := range []string{"billing", "invoice", "charged", "refund", "crash", "error", "technical", "sales", "pricing", "quote"} {
		if v, _, ok := b.WordVector(w); ok && !slices.Contains(vocab, w) {
			vocab = append(vocab, w)
			vecs = append(vecs, v)
		}
	}
	return vocab, vecs
}

// TestLoadModel2Vec loads generated Model2Vec directories in F32, F16 and I8: the rows
// match the written vectors, texts tokenize with the WordPiece vocabulary, and the model
// classifies support tickets (real-time and fitted) like the built-in one.
func TestLoadModel2Vec(t *testing.T) {
	b := testBuiltin(t)
	vocab, vecs := staticVocab(t)
	spec := classify.Spec{Labels: []string{"billing", "technical", "sales"}, Descriptions: map[string]string{
		"billing": "invoices, charges, payments and refunds", "technical": "errors, crashes and bugs", "sales": "pricing, quotes and plans"}}
	texts := []string{"I was charged twice, please refund the invoice", "the app shows an error and crashes", "what is the pricing, can we get a quote"}
	want := []string{"billing", "technical", "sales"}
	for _, dtype := range []string{"F32", "F16", "I8"} {
		dir := filepath.Join(t.TempDir(), "m2v-"+dtype)
		if err := modeltest.Model2Vec(dir, vocab, vecs, dtype); err != nil {
			t.Fatal(err)
		}
		m, err := LoadStatic(dir)
		if err != nil {
			t.Fatalf("%s: %v", dtype, err)
		}
		if m.dims != len(vecs[0]) || len(m.scale) != len(vocab) || m.ranked {
			t.Fatalf("%s: %d dims, %d rows", dtype, m.dims, len(m.scale))
		}
		// Each row is the written vector (quantised once or twice).
		for _, i := range []int{3, 100, 2000} {
			got := make([]float32, m.dims)
			for j := range got {
				got[j] = m.scale[i] * float32(m.vecs[i*m.dims+j])
			}
			if c := cosine(got, vecs[i]); c < 0.995 {
				t.Errorf("%s: row %d (%q) has cosine %.4f with its written vector", dtype, i, vocab[i], c)
			}
		}
		if n := m.Tokens("Crashing apps!"); n != len(m.hf.tokenize("crashing apps!", nil)) || n == 0 {
			t.Errorf("%s: Tokens = %d", dtype, n)
		}
		c := classify.NewWordClassifier(m, b)
		rt, err := c.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		state, err := c.Fit(spec, texts)
		if err != nil {
			t.Fatal(err)
		}
		fitted, err := c.CompileFitted(spec, state)
		if err != nil {
			t.Fatal(err)
		}
		for name, model := range map[string]classify.Model{"real-time": rt, "fitted": fitted} {
			out := make([]classify.Result, len(texts))
			model.Classify(texts, out)
			for i, r := range out {
				if r.Label != want[i] {
					t.Errorf("%s %s: %q -> %s, want %s", dtype, name, texts[i], r.Label, want[i])
				}
			}
		}
	}
}

// TestLoadWordVectors loads GloVe- and fastText-style text files: header or none, cased
// duplicates (the first, most frequent, spelling wins), and errors that name the line.
func TestLoadWordVectors(t *testing.T) {
	b := testBuiltin(t)
	vocab, vecs := staticVocab(t)
	words, wv := vocab[3:], vecs[3:]
	words = append(words, "Billing") // a cased duplicate after the real one
	wv = append(wv, make([]float32, len(wv[0])))
	for _, header := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "vectors.vec")
		if err := modeltest.WordVectors(path, words, wv, header); err != nil {
			t.Fatal(err)
		}
		m, err := LoadStatic(path)
		if err != nil {
			t.Fatalf("header %v: %v", header, err)
		}
		if len(m.scale) != len(words)-1 || !m.ranked {
			t.Fatalf("header %v: %d rows, want %d", header, len(m.scale), len(words)-1)
		}
		mdl, err := classify.NewWordClassifier(m, b).Compile(classify.Spec{Labels: []string{"billing", "technical", "sales"}})
		if err != nil {
			t.Fatal(err)
		}
		out := make([]classify.Result, 1)
		mdl.Classify([]string{"I was charged twice on my credit card"}, out)
		r := out[0]
		if r.Label != "billing" {
			t.Errorf("header %v: -> %s, want billing", header, r.Label)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.vec")
	os.WriteFile(bad, []byte("the 0.1 0.2 0.3\nof 0.1 0.2\n"), 0o644)
	if _, err := LoadStatic(bad); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a short row: %v, want an error naming line 2", err)
	}
	bad2 := filepath.Join(t.TempDir(), "m2v")
	os.MkdirAll(bad2, 0o755)
	os.WriteFile(filepath.Join(bad2, "tokenizer.json"), []byte(wordPieceJSON), 0o644)
	os.WriteFile(filepath.Join(bad2, "config.json"), []byte(`{}`), 0o644)
	os.WriteFile(filepath.Join(bad2, "model.safetensors"), []byte("\xff\xff\xff\xff\xff\xff\xff\x7fjunk"), 0o644)
	if _, err := LoadStatic(bad2); err == nil || !strings.Contains(err.Error(), "safetensors") {
		t.Errorf("a corrupt safetensors file: %v", err)
	}
}

func TestHalfFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		x := float32(rng.NormFloat64())
		h := modeltest.FloatToHalf(x)
		if y := halfToFloat(h); math.Abs(float64(y-x)) > math.Abs(float64(x))/1000+1e-4 {
			t.Fatalf("%v -> %#x -> %v", x, h, y)
		}
	}
}

func cosine(a, b []float32) float64 {
	var s, na, nb float64
	for i := range a {
		s += float64(a[i] * b[i])
		na += float64(a[i] * a[i])
		nb += float64(b[i] * b[i])
	}
	return s / math.Sqrt(na*nb)
}
