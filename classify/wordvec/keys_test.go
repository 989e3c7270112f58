package wordvec

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// TestKeysAgreeWithNext: scanKeys (keys token by token), with its inline path for short words and punctuation, gives
// every token the key, hash, tag and place (the text's own bytes or a lowered copy) that the
// tokenizer's next and wordKey give it, on texts built from what the rules treat specially
// around words of 1 to 20 bytes.
func TestKeysAgreeWithNext(t *testing.T) {
	m := testBuiltin(t)
	pieces := []string{"a", "Z", "7", "-", ".", ",", ":", "/", "'", "’", " ", " ", " ", "\t", "é", "\u00ad", "東", "n't", "'s",
		"u.s.", "1,000", "well-known", "$", "!", "...", "--", "\x00",
		"internat", "Internat", "INTERNAT", "internati", "Internati", "organizations", "Organizations",
		"governments", "GoVeRnMeNtS", "representative", "Representative", "representatives",
		"internationalization", "0123456789", "abcdefghijklmno", "ABCDEFGHIJKLMNO", "abcdefghijklmnop"}
	r := rand.New(rand.NewPCG(11, 12))
	tk, ref := newTokenizer(), newTokenizer()
	short := 0
	for range 20000 {
		var b strings.Builder
		for range 1 + r.IntN(14) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		text := b.String()
		got := slices.Clone(m.scanKeys(tk, text))
		want, long := keysByNext(ref, text)
		if !slices.Equal(got, want) || string(tk.long) != string(long) {
			t.Fatalf("%q: keys\n%+v\nwant\n%+v\nlong %q, want %q", text, got, want, tk.long, long)
		}
		for _, k := range want {
			if n := k.tag >> 32 & 0xff; n < 8 {
				short++
			}
		}
	}
	if short < 10000 {
		t.Fatalf("only %d tokens under 8 bytes", short)
	}
}

// keysByNext is keys without its inline paths: every token from next, hashed by wordKey.
func keysByNext(t *tokenizer, text string) (keys []tokenKey, long []byte) {
	t.reset(text)
	for {
		tok, ok := t.next()
		if !ok {
			return keys, long
		}
		k := tokenKey{}
		k.h, k.tag, k.key = wordKey(tok)
		if len(tok) > 8 {
			k.n = int32(len(tok))
			if p := uintptr(unsafe.Pointer(&tok[0])) - uintptr(unsafe.Pointer(unsafe.StringData(text))); p < uintptr(len(text)) {
				k.off = int32(p)
			} else {
				k.off = -int32(len(long)) - 1
				long = append(long, tok...)
			}
		}
		keys = append(keys, k)
	}
}
