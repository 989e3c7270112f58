package wordvec

import (
	"slices"
	"testing"
)

// TestTextRowsAgreeWithLookup: the rows a text vector sums (tokenise and hash the whole text,
// then look every token up) are those of looking each token up on its own as the tokenizer
// gives it, for long words that are the text's own bytes and long words lowered into the
// tokenizer's buffer, side by side and repeated; and they count the tokenizer's tokens.
func TestTextRowsAgreeWithLookup(t *testing.T) {
	m := testBuiltin(t)
	texts := []string{
		"international organizations",
		"International Organizations and INTERNATIONAL organizations",
		"Internationally, the organizations' representatives weren't available",
		"naïve internationalisation: the Café's representatives couldn't Communicate",
		"governments governments Governments GOVERNMENTS governments",
		"administration-wide re-establishment, e.g. u.s. representatives' 1,000,000 dollars",
		"unrecognizablewordxyz Unrecognizablewordxyz representatives",
		// Short words next to what may continue them: the inline path of keys must leave these to next.
		"the theCat cat's well-known a naïve i.e. don't 3.5 1,000 10:30 a/b a- b. end representatives",
		"The Cat SAYS: Hello, World! ... -- (yes) \"no\" $5 50% a.B. X-ray e-Mail?! representatives.",
	}
	// Both of keys' paths: blockKeys where the processor has AVX2, and the token-by-token scan
	// (longer texts, other processors), whose inline path this test guards.
	defer func(on bool) { useBlockTokens = on }(useBlockTokens)
	for _, block := range []bool{false, true} {
		if block && !hasClassesAVX2 {
			continue
		}
		useBlockTokens = block
		textRowsAgree(t, m, texts)
	}
}

// textRowsAgree checks that the rows and token counts read for each text are those of its
// tokens looked up one by one.
func textRowsAgree(t *testing.T, m *Model, texts []string) {
	t.Helper()
	read := m.Reader()
	v := make([]float32, m.Dims())
	for _, text := range texts {
		var want []int32
		long, tokens := 0, 0
		tk := newTokenizer()
		tk.reset(text)
		for {
			tok, ok := tk.next()
			if !ok {
				break
			}
			tokens++
			if len(tok) > 8 {
				long++
			}
			if r := m.lookup(tok); r >= 0 && m.scale[r] != 0 {
				want = append(want, r)
			}
		}
		if long == 0 {
			t.Fatalf("%q: no long words", text)
		}
		var got, only []int32
		_, n := read(text, v, false, &got)
		_, n2 := read(text, nil, false, &only)
		if !slices.Equal(got, want) || !slices.Equal(only, want) || n != tokens || n2 != tokens {
			t.Errorf("block tokens %v, %q: rows %v and %v, want %v; %d and %d tokens, want %d", useBlockTokens, text, got, only, want, n, n2, tokens)
		}
	}
}
