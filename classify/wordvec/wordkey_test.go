package wordvec

import (
	"math/rand/v2"
	"testing"
)

// TestWordKeyReads: wordKey's word reads give hashWord's hash and the word's first 8 bytes,
// little-endian and zero-padded, at every length.
func TestWordKeyReads(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for n := 0; n <= 20; n++ {
		for range 50 {
			w := make([]byte, n, n+8)
			for i := range w {
				w[i] = byte(1 + r.IntN(255))
			}
			// Bytes past the word must not be read.
			tail := w[n : n+8]
			for i := range tail {
				tail[i] = 0xAA
			}
			var want uint64
			for i := 0; i < min(n, 8); i++ {
				want |= uint64(w[i]) << (8 * i)
			}
			h, tag, key := wordKey(w)
			if key != want || h != hashWord(w) || int(tag>>32&0xff) != n {
				t.Fatalf("%x: key %x want %x, hash %x want %x, tag %x", w, key, want, h, hashWord(w), tag)
			}
		}
	}
}

// TestNotLowerOrDigit: every byte value, at every position of the eight, is flagged exactly
// when it is not an ASCII lowercase letter or digit.
func TestNotLowerOrDigit(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			x := uint64(0x6161616161616161) // "aaaaaaaa"
			x = x&^(0xff<<(8*pos)) | uint64(c)<<(8*pos)
			want := uint64(0)
			if !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
				want = 0x80 << (8 * pos)
			}
			if got := notLowerOrDigit(x); got != want {
				t.Fatalf("byte %#x at %d: %#x, want %#x", c, pos, got, want)
			}
		}
	}
}

// TestUpperBytes: every byte value, at every position of the eight, is flagged exactly when
// it is an ASCII uppercase letter.
func TestUpperBytes(t *testing.T) {
	for c := range 256 {
		for pos := range 8 {
			x := uint64(0x4141414141414141) // "AAAAAAAA"
			x = x&^(0xff<<(8*pos)) | uint64(c)<<(8*pos)
			want := uint64(0x8080808080808080) &^ (0x80 << (8 * pos))
			if 'A' <= c && c <= 'Z' {
				want |= 0x80 << (8 * pos)
			}
			if got := upperBytes(x); got != want {
				t.Fatalf("byte %#x at %d: %#x, want %#x", c, pos, got, want)
			}
		}
	}
}
