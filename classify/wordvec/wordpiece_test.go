package wordvec

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/classer-ai/classer-batch/classify/modeltest"
)

// The reference for the WordPiece hot path: the algorithm as it was before issue 23
// (normalise the whole text, pre-tokenise it, then greedy longest match over maps of
// strings, stepping back one rune at a time).

type refWordPiece struct {
	tok         *hfTokenizer
	vocab, cont map[string]int32
	maxChars    int
	unk         int32
	hasUnk      bool
}

func newRefWordPiece(t testing.TB, js string) *refWordPiece {
	t.Helper()
	tok, err := parseHFTokenizer([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	var j hfJSON
	if err := json.Unmarshal([]byte(js), &j); err != nil {
		t.Fatal(err)
	}
	prefix := "##"
	if j.Model.ContinuingSubwordPrefix != nil {
		prefix = *j.Model.ContinuingSubwordPrefix
	}
	r := &refWordPiece{tok: tok, vocab: tok.vocab, cont: map[string]int32{}, maxChars: j.Model.MaxInputCharsPerWord}
	if r.maxChars <= 0 {
		r.maxChars = 100
	}
	r.unk, r.hasUnk = tok.vocab[j.Model.UnkToken]
	for w, id := range tok.vocab {
		if rest, ok := strings.CutPrefix(w, prefix); ok && prefix != "" {
			r.cont[rest] = id
		}
	}
	return r
}

func (r *refWordPiece) tokenize(text string) []int32 {
	var ids []int32
	for _, piece := range r.tok.split(r.tok.normalize(text)) {
		ids = r.wordPiece(piece, ids)
	}
	return ids
}

func (r *refWordPiece) wordPiece(word string, ids []int32) []int32 {
	if utf8.RuneCountInString(word) > r.maxChars {
		if r.hasUnk {
			ids = append(ids, r.unk)
		}
		return ids
	}
	start := len(ids)
	for pos := 0; pos < len(word); {
		end := len(word)
		found := int32(-1)
		for end > pos {
			m := r.vocab
			if pos > 0 {
				m = r.cont
			}
			if id, ok := m[word[pos:end]]; ok {
				found = id
				break
			}
			_, size := utf8.DecodeLastRuneInString(word[pos:end])
			end -= size
		}
		if found < 0 {
			ids = ids[:start]
			if r.hasUnk {
				ids = append(ids, r.unk)
			}
			return ids
		}
		ids = append(ids, found)
		pos = end
	}
	return ids
}

// testPieces is a vocabulary with whole words, continuations, accented and CJK pieces,
// some punctuation (not all: the rest is unknown) and a piece longer than hashRun.
var testPieces = []string{
	"the", "app", "crash", "##es", "##ing", "un", "##known", "cafe", "café", "caf", "##é", "##e",
	"好", "世", "界", "a", "b", "c", "##a", "##b", "##c", "ab", "abc", "##bc", "x", "##x", "i", "##i",
	"!", ".", ",", "'", "-", "(", ")", "#", "##", "###", "ß", "ss", "σ", "ς", "straße", "naïve", "naive",
	"über", "uber", "ü", "##ü", "é", "e", "1", "2", "12", "##2", "##1", "refund", "charged", "invoice",
	"İ", "i̇", "ǅ", "ǆ", "ﬁ", "fi", "\u00a0", "�", "ab\u0301", "🙂", "ÿ", "##ÿ",
	"한", "##국", "가", "\u1100\u1161", "豈", "\u8c48", "a\U0001d165", ";", "\u00b7", "a\U0001d165\U0001d16d", "s", "u", "α", "क",
	strings.Repeat("long", 20), strings.Repeat("long", 10), "##" + strings.Repeat("ong", 30), "l",
	strings.Repeat("q", 95), // the longest piece
}

func wordPieceConfig(normalizer, preTokenizer string, maxChars int, prefix, unk string) string {
	vocab := map[string]int{"[UNK]": 0}
	for i, p := range testPieces {
		if prefix != "##" {
			if rest, ok := strings.CutPrefix(p, "##"); ok && len(rest) > 0 {
				p = prefix + rest
			}
		}
		if _, dup := vocab[p]; !dup {
			vocab[p] = i + 1
		}
	}
	model := map[string]any{"type": "WordPiece", "unk_token": unk, "continuing_subword_prefix": prefix,
		"max_input_chars_per_word": maxChars, "vocab": vocab}
	js, err := json.Marshal(map[string]any{"model": model})
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf(`{"normalizer": %s, "pre_tokenizer": %s, %s`, normalizer, preTokenizer, js[1:])
}

// wordPieceConfigs are tokenizer.json variants: BERT's with each normaliser option (all
// on bertFast) and others on the general path.
func wordPieceConfigs() map[string]string {
	bert := `{"type": "BertPreTokenizer"}`
	return map[string]string{
		"potion":          wordPieceConfig(`{"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true}`, bert, 100, "##", "[UNK]"),
		"cased":           wordPieceConfig(`{"type": "BertNormalizer", "lowercase": false}`, bert, 100, "##", "[UNK]"),
		"cased, stripped": wordPieceConfig(`{"type": "BertNormalizer", "lowercase": false, "strip_accents": true, "handle_chinese_chars": false}`, bert, 100, "##", "[UNK]"),
		"raw":             wordPieceConfig(`{"type": "BertNormalizer", "clean_text": false, "handle_chinese_chars": false, "strip_accents": false, "lowercase": true}`, bert, 100, "##", "[UNK]"),
		"no normalizer":   wordPieceConfig(`null`, bert, 100, "##", "[UNK]"),
		"short, no unk":   wordPieceConfig(`{"type": "BertNormalizer"}`, bert, 6, "##", "<none>"),
		"other prefix":    wordPieceConfig(`{"type": "BertNormalizer"}`, bert, 100, "@@", "[UNK]"),
		"no prefix":       wordPieceConfig(`{"type": "BertNormalizer"}`, bert, 100, "", "[UNK]"),
		"whitespace":      wordPieceConfig(`{"type": "Sequence", "normalizers": [{"type": "NFD"}, {"type": "Lowercase"}, {"type": "StripAccents"}]}`, `{"type": "Whitespace"}`, 100, "##", "[UNK]"),
		"sequence split":  wordPieceConfig(`{"type": "BertNormalizer"}`, `{"type": "Sequence", "pretokenizers": [{"type": "WhitespaceSplit"}, {"type": "Punctuation"}]}`, 100, "##", "[UNK]"),
	}
}

// testFragments are what generated texts are made of: words in and out of the
// vocabulary in several cases, every kind of space and control character, accents
// precomposed and combining, CJK, case mappings that change length, invalid UTF-8.
var testFragments = []string{
	"the", "The", "THE", "app", "APPS", "Crashes", "crashing", "unknown", "Unknowns", "café", "CAFÉ", "cafe\u0301",
	"Café", "naïve", "NAÏVE", "über", "Über", "straße", "STRASSE", "ΣΑΣ", "σας", "İstanbul", "ǅ", "ﬁne", "好", "世界",
	"你好世界", "ab", "abc", "abcabc", "ABCx", "xyz", "12", "2121", "a1b2", "refund", "Charged", "INVOICE",
	strings.Repeat("long", 20), strings.Repeat("LONG", 10) + "ong", "l" + strings.Repeat("ong", 30), strings.Repeat("abc", 40),
	strings.Repeat("q", 95), strings.Repeat("Q", 95), strings.Repeat("q", 96),
	" ", "  ", "\t", "\n", "\r\n", "\v", "\f", "\x00", "\x01", "\x1f", "\x7f", "\u0085", "\u00a0", "\u3000", "\u2028",
	"!", ".", ",", "'", "-", "(", ")", "#", "##", "@", "[", "`", "~", "¿", "«", "»", "—", "…", "、", "。",
	"\u0301", "\u0308", "\u200b", "\ufeff", "\ufffd", "\xff", "\xc3", "\xe4\xbd", "🙂", "👍🏽", "ÿ", "Ÿ", "ǈ",
	"\u00ad", "Ω", "Å", "Å", "ｆｕｌｌ", "x", "i", "I",
	"\u2126", "\u212b", "\uf900", "\u037e", "\u0387", "\u2000", "한국어", "가", "\U0001d165", "a\U0001d165\u0301", "a\u0301\U0001d165", "a\U0001d16d\U0001d165", "A\U0001d16d\U0001d165",
	"\u0915\u093f", "\u1e69", "\u01d6", "\u01d5", "\u1f82", "\u0958", "\u1e9e", "\u0130", "\u03a3", strings.Repeat("é", 130), strings.Repeat("\u0301", 40),
}

func randomText(rng *rand.Rand) string {
	var b strings.Builder
	for range rng.IntN(40) {
		b.WriteString(testFragments[rng.IntN(len(testFragments))])
		if rng.IntN(3) == 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// TestWordPieceSameIDs holds the tokenizer to the reference algorithm on generated texts
// under each configuration (bertFast, the general path with the hashed vocabulary).
func TestWordPieceSameIDs(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 1))
	for name, js := range wordPieceConfigs() {
		ref := newRefWordPiece(t, js)
		tok := ref.tok
		if strings.Contains(name, "whitespace") || strings.Contains(name, "sequence") {
			if tok.bert {
				t.Errorf("%s: bertFast would run for a pipeline that is not BERT's", name)
			}
		} else if !tok.bert {
			t.Errorf("%s: the BERT pipeline does not take bertFast", name)
		}
		texts := slices.Clone(testFragments)
		for range 4000 {
			texts = append(texts, randomText(rng))
		}
		for _, text := range texts {
			want := ref.tokenize(text)
			if got := tok.tokenize(text, nil); !slices.Equal(got, want) {
				t.Fatalf("%s: %q: ids %v, want %v (the reference)", name, text, got, want)
			}
		}
	}
}

// FuzzWordPiece: any text, under the potion configuration and a cased one, gives the
// reference's ids.
func FuzzWordPiece(f *testing.F) {
	for _, s := range testFragments {
		f.Add(s)
	}
	f.Add("The APP crashes, unknown crashing! Café\tthe\x00 好app")
	configs := wordPieceConfigs()
	refs := []*refWordPiece{newRefWordPiece(f, configs["potion"]), newRefWordPiece(f, configs["cased"]), newRefWordPiece(f, configs["short, no unk"])}
	f.Fuzz(func(t *testing.T, text string) {
		for _, ref := range refs {
			if got, want := ref.tok.tokenize(text, nil), ref.tokenize(text); !slices.Equal(got, want) {
				t.Fatalf("%q: ids %v, want %v (the reference)", text, got, want)
			}
		}
	})
}

// TestWordPieceNoAllocs: an ASCII text of known and split words, with punctuation and
// upper case, tokenizes into a buffer with room without allocating.
func TestWordPieceNoAllocs(t *testing.T) {
	tok, err := parseHFTokenizer([]byte(wordPieceConfigs()["potion"]))
	if err != nil {
		t.Fatal(err)
	}
	text := "The APP crashes, unknown crashing! (12 abcx) " + strings.Repeat("Long", 20)
	ids := make([]int32, 0, 64)
	if n := testing.AllocsPerRun(100, func() { ids = tok.tokenize(text, ids[:0]) }); n != 0 {
		t.Errorf("%v allocations a text, want 0", n)
	}
	if len(ids) < 10 {
		t.Errorf("%d ids: the text was not tokenized", len(ids))
	}
}

// BenchmarkHFTokenize tokenizes the mixed corpus's lines with a potion-shaped WordPiece
// vocabulary (the built-in model's words), against the reference algorithm: MB/s.
func BenchmarkHFTokenize(b *testing.B) {
	words := testBuiltin(b)
	vocab := map[string]int{"[UNK]": 0}
	for _, w := range append([]string{"##s", "##ing", "##ed", "##a", "##e", "##i", "##o", "##u"}, words.index...) {
		if _, dup := vocab[w]; !dup && len(vocab) < 29528 && hasLetter(w) || strings.HasPrefix(w, "##") {
			vocab[w] = len(vocab)
		}
	}
	for _, p := range ".,;:!?'\"()[]{}#@$%&*+-/<=>|~…“”‘’£€" {
		vocab[string(p)] = len(vocab)
	}
	js, err := json.Marshal(map[string]any{"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100, "vocab": vocab})
	if err != nil {
		b.Fatal(err)
	}
	ref := newRefWordPiece(b, `{"normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true, "strip_accents": null, "lowercase": true},
		"pre_tokenizer": {"type": "BertPreTokenizer"}, "model": `+string(js)+`}`)
	var n int64
	for _, s := range modeltest.MixedTexts {
		n += int64(len(s))
	}
	ids := make([]int32, 0, 256)
	b.Run("new", func(b *testing.B) {
		b.SetBytes(n)
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range modeltest.MixedTexts {
				ids = ref.tok.tokenize(s, ids[:0])
			}
		}
	})
	b.Run("reference", func(b *testing.B) {
		b.SetBytes(n)
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range modeltest.MixedTexts {
				ref.tokenize(s)
			}
		}
	})
}
