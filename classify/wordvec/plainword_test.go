package wordvec

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestPlainWordAgreesWithWord: wherever the copy-free fast path takes a word, the full rules
// (word) give the same token and stop at the same place, on texts built from the characters
// the rules treat specially.
func TestPlainWordAgreesWithWord(t *testing.T) {
	pieces := []string{"a", "b", "z", "q", "Z", "K", "0", "7", "-", ".", ",", ":", "/", "'", "’", " ", "\t",
		"é", "É", "\u00ad", "\u200d", "東", "ß", "n't", "'s", "'re", "u.s.", "e.g", "1,000", "10:30", "well-known", "$", "!",
		"internationalization", "Internationalization", "ABCDEFGHIJKLMNOP", "abcdefgH", "Abcdefgh", "0123456789"}
	r := rand.New(rand.NewPCG(5, 6))
	texts := []string{"I was charged twice on my credit card, can't you refund it? Call 555-1234 or e-mail a.b@c.de."}
	for range 20000 {
		var b strings.Builder
		for range 1 + r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		texts = append(texts, b.String())
	}
	taken, lowered := 0, 0
	for _, s := range texts {
		for i := 0; i < len(s); i++ {
			if c := s[i]; !('a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9') {
				continue
			}
			fast := &tokenizer{s: s, i: i}
			tok, ok := fast.plainWord()
			if !ok {
				continue
			}
			if strings.ToLower(s[i:fast.i]) != s[i:fast.i] {
				lowered++
			}
			taken++
			full := &tokenizer{s: s, i: i}
			want := full.word()
			if string(tok) != string(want) || fast.i != full.i || full.pend != 0 {
				t.Fatalf("%q at %d: plainWord %q up to %d, word %q up to %d (pend %d)", s, i, tok, fast.i, want, full.i, full.pend)
			}
		}
	}
	if taken < 1000 || lowered < 1000 {
		t.Fatalf("the fast paths were taken only %d times (%d lowered)", taken, lowered)
	}
}
