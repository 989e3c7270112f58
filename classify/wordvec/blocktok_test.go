package wordvec

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// resolved is a tokenKey with its token's bytes in place of where they are (the text's own
// bytes or the tokenizer's copy: blockKeys and scanKeys may differ in that, not in the bytes).
type resolved struct {
	h, tag, key uint64
	n           int32
	tok         string
}

func resolve(keys []tokenKey, text string, long []byte) []resolved {
	out := make([]resolved, len(keys))
	for i, k := range keys {
		out[i] = resolved{h: k.h, tag: k.tag, key: k.key, n: k.n}
		if k.n > 0 {
			if k.off >= 0 {
				out[i].tok = text[k.off : k.off+k.n]
			} else {
				out[i].tok = string(long[-k.off-1:][:k.n])
			}
		}
	}
	return out
}

// blockPieces are what the tokenizer's rules treat specially, around and inside words.
var blockPieces = []string{"a", "Z", "7", "0", "-", ".", ",", ":", "/", "'", "’", " ", " ", " ", " ", "\t", "\n", "\r",
	"é", "É", "\u00ad", "\u200b", "\u00a0", "東", "ｱ", "n't", "N'T", "'s", "'RE", "'t", "'m", "'D", "'ll", "'ve", "can", "won", "wo", "Ca", "SHA", "sha", "u.s.", "e.g.", "U.S",
	"1,000", "3.5", "10:30", "1986/87", "well-known", "$", "!", "?", "(", ")", "\"", "...", "--", "\x00", "\x7f", "\xff", "😀",
	"internat", "Internat", "INTERNAT", "internati", "Internati", "organizations", "Organizations",
	"governments", "GoVeRnMeNtS", "representative", "Representative", "representatives",
	"internationalization", "0123456789", "abcdefghijklmno", "ABCDEFGHIJKLMNO", "abcdefghijklmnop"}

// TestBlockKeysAgree: blockKeys gives every text the tokens, keys, hashes and tags that
// scanKeys gives it (whose tokens TestKeysAgreeWithNext ties to next), with the AVX2 and the
// Go byte classes, on generated texts of 0 to ~1,000 bytes (across the 32- and 64-byte blocks)
// built from blockPieces, on each prefix and suffix of a few longer ones, and on texts of up to
// blockMax bytes.
func TestBlockKeysAgree(t *testing.T) {
	m := testBuiltin(t)
	r := rand.New(rand.NewPCG(23, 6))
	tk, ref := newTokenizer(), newTokenizer()
	check := func(text string) {
		t.Helper()
		want := resolve(slices.Clone(m.scanKeys(ref, text)), text, ref.long)
		got := resolve(m.blockKeys(tk, text), text, tk.long)
		if !slices.Equal(got, want) {
			t.Fatalf("%q (AVX2 classes %v): blockKeys\n%+v\nwant\n%+v", text, hasClassesAVX2, got, want)
		}
	}
	defer func(v bool) { hasClassesAVX2 = v }(hasClassesAVX2)
	for _, avx := range []bool{hasClassesAVX2, false} {
		hasClassesAVX2 = avx
		for range 30000 {
			var b strings.Builder
			for range r.IntN(1 + r.IntN(120)) {
				b.WriteString(blockPieces[r.IntN(len(blockPieces))])
			}
			check(b.String())
		}
		for range 20 {
			var b strings.Builder
			for b.Len() < 300 {
				b.WriteString(blockPieces[r.IntN(len(blockPieces))])
			}
			s := b.String()
			for i := range len(s) + 1 {
				check(s[:i])
				check(s[i:])
			}
		}
		// The longest texts blockKeys takes fill its scratch arrays.
		var b strings.Builder
		for b.Len() < blockMax {
			b.WriteString(blockPieces[r.IntN(len(blockPieces))])
		}
		for _, n := range []int{blockMax, blockMax - 1, blockMax - 31, blockMax - 64} {
			check(b.String()[:n])
			check(b.String()[b.Len()-n:])
		}
	}
}

// TestBlockKeysBoundaries: the rules the boundaries depend on, at every place in the first
// 64-byte blocks (a boundary's neighbours may be in the block before or after).
func TestBlockKeysBoundaries(t *testing.T) {
	m := testBuiltin(t)
	tk, ref := newTokenizer(), newTokenizer()
	cases := []string{"u.s.", "e.g. x", "U.S. a", "a.b", "ab.", "ab. ", "a..", "a...b", "a--b", "a-- ", "a- b", "-a",
		"1,000", "1, 2", "a,b", "10:30", "1986/87", "x/y", "don't", "don't.", "it's,", "'quoted'", "a''", "a.é.", "é. ",
		"x.\u00ada.", "a.b.c.", "ab.c.", "3.", "3.a", "a\u200b.", "Abcdefghij.", "ABCDEFGH,", "abcdefgh-", "a\t.b",
		"won't", "Can't", "SHAN'T", "isn't", "n't", "I'm", "we'll", "it'd", "They've", "O'Neill", "a'b'c", "it's.a", "rock'n'roll",
		"well-known's", "3'd", "everybody's", "ab'cdef", "x'", "'x"}
	for _, c := range cases {
		for pad := range 70 {
			for _, text := range []string{strings.Repeat(" ", pad) + c, strings.Repeat("x", pad) + c, strings.Repeat(" ", pad) + c + " z"} {
				want := resolve(slices.Clone(m.scanKeys(ref, text)), text, ref.long)
				got := resolve(m.blockKeys(tk, text), text, tk.long)
				if !slices.Equal(got, want) {
					t.Fatalf("%q: blockKeys\n%+v\nwant\n%+v", text, got, want)
				}
			}
		}
	}
}

// TestClassesAVX2: the AVX2 byte classes are classes32Go's for every byte value at every
// place in a chunk.
func TestClassesAVX2(t *testing.T) {
	if !hasClassesAVX2 {
		t.Skip("no AVX2")
	}
	var p [32 * 8]byte
	for v := range 256 {
		for i := range p {
			p[i] = byte(v + i*37)
		}
		p[v%len(p)] = byte(v)
		got, want := make([]chunkClasses, 8), make([]chunkClasses, 8)
		classes32(p[:], got)
		classes32Go(p[:], want)
		if !slices.Equal(got, want) {
			t.Fatalf("byte %#x: %+v, want %+v", v, got, fmt.Sprint(want))
		}
	}
}
