package wordvec

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func tokens(s string) []string {
	var t tokenizer
	t.reset(s)
	var out []string
	for {
		tok, ok := t.next()
		if !ok {
			return out
		}
		out = append(out, string(tok))
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		in   string
		want string // tokens joined by " | "
	}{
		{"", ""},
		{"   \n\t ", ""},
		{"Hello, World!", "hello | , | world | !"},
		{"don't", "do | n't"},
		{"I DON'T know", "i | do | n't | know"},
		{"it's John's", "it | 's | john | 's"},
		{"we're they've I'll she'd I'm", "we | 're | they | 've | i | 'll | she | 'd | i | 'm"},
		{"isn't can't won't", "is | n't | can | n't | will | n't"},
		{"it’s don’t", "it | 's | do | n't"},
		{"o'neill rock'n'roll", "o'neill | rock'n'roll"},
		{"'quoted'", "' | quoted | '"},
		{"well-known e-mail", "well-known | e-mail"},
		{"pre- and post-war", "pre | - | and | post-war"},
		{"it costs $3.50 (1,000 units) at 10:30 in 1986/87", "it | costs | $ | 3.50 | ( | 1,000 | units | ) | at | 10:30 | in | 1986/87"},
		{"a, b", "a | , | b"},
		{"1, 2", "1 | , | 2"},
		{"The U.S. economy, e.g. corn.", "the | u.s. | economy | , | e.g. | corn | ."},
		{"Wait... what?!", "wait | ... | what | ? | !"},
		{"a -- b", "a | -- | b"},
		{"Café NAÏVE Straße", "café | naïve | straße"},
		{"ÉCOLE", "école"},
		{"日本語のテキスト", "日 | 本 | 語 | の | テ | キ | ス | ト"},
		{"Привет, мир", "привет | , | мир"},
		{"I ❤ it 😀!", "i | ❤ | it | 😀 | !"},
		{"soft\u00adhyphen zero\u200bwidth", "softhyphen | zerowidth"},
		{"a\u00a0b", "a | b"},
		{"bad \xff byte", "bad | \ufffd | byte"},
	}
	for _, tc := range tests {
		got := strings.Join(tokens(tc.in), " | ")
		if got != tc.want {
			t.Errorf("tokens(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTokensCountsTokenizer(t *testing.T) {
	b := testBuiltin(t)
	for _, s := range []string{"", "don't stop", "Hello, World! It's 3.5 km.", "日本語"} {
		if got, want := b.Tokens(s), len(tokens(s)); got != want {
			t.Errorf("Tokens(%q) = %d, want %d", s, got, want)
		}
	}
}

// Tokens may allocate its scratch buffer once per call, never per token.
func TestTokensDoesNotAllocatePerToken(t *testing.T) {
	b := testBuiltin(t)
	text := strings.Repeat("I was charged twice on my credit card, and the app doesn't let me upgrade. ", 50)
	if n := testing.AllocsPerRun(100, func() { b.Tokens(text) }); n > 1 {
		t.Fatalf("Tokens allocates %v times per call", n)
	}
}

func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"don't", "U.S. 1,000", "日本", "a'b'c", "'s", "n't", "x\xffy", "can't's"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := tokens(s)
		for _, tok := range toks {
			if tok == "" || !utf8.ValidString(tok) || strings.ContainsFunc(tok, isSpace) {
				t.Fatalf("tokens(%q) contains bad token %q", s, tok)
			}
		}
		// Whitespace separates tokens, so joining on space must tokenize to at least as many.
		if len(tokens(strings.Join(toks, " "))) < len(toks) {
			t.Fatalf("re-tokenizing %q lost tokens", toks)
		}
	})
}
