package batch

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

// stopIndexRef is stopIndexAVX2's definition, byte by byte.
func stopIndexRef(b []byte) int {
	if len(b) < 32 {
		return 0
	}
	for k, c := range b {
		if c == '"' || c == '\\' || c < 0x20 {
			return k
		}
	}
	return len(b)
}

// TestStopIndexAVX2 compares the kernel with its definition for every byte value at
// every offset of strings 0-200 bytes long (the 32-byte blocks' edges included), and on
// random strings; the test string sits at every alignment within a larger buffer.
func TestStopIndexAVX2(t *testing.T) {
	if !useStopAVX2 {
		t.Skip("no AVX2")
	}
	buf := make([]byte, 256+64)
	check := func(b []byte) {
		t.Helper()
		if got, want := stopIndexAVX2(unsafe.SliceData(b), len(b)), stopIndexRef(b); got != want {
			t.Fatalf("stopIndexAVX2(%q) = %d, want %d", b, got, want)
		}
	}
	for n := 0; n <= 200; n++ {
		b := buf[n%32 : n%32+n]
		for j := range b {
			b[j] = 'a'
		}
		check(b)
		for off := 0; off < n; off++ {
			for c := 0; c < 256; c++ {
				b[off] = byte(c)
				check(b)
			}
			b[off] = 'a'
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		n := r.IntN(201)
		b := buf[r.IntN(32):][:n]
		for j := range b {
			b[j] = byte(0x20 + r.IntN(224)) // mostly plain, so the stop byte falls anywhere
			if r.IntN(64) == 0 {
				b[j] = byte(r.IntN(256))
			}
		}
		check(b)
	}
}

// TestScanStringPaths requires scanString to return the same with and without the AVX2
// pass, for strings with a quote, backslash, escape or control byte at every offset.
func TestScanStringPaths(t *testing.T) {
	if !useStopAVX2 {
		t.Skip("no AVX2")
	}
	defer func(v bool) { useStopAVX2 = v }(useStopAVX2)
	specials := []string{`"`, `\`, `\"`, `\\`, `\n`, `\u00e9`, `\u12`, `\x`, "\x00", "\x1f", "\x7f", "\xc3\xa9", " "}
	for n := 0; n <= 200; n++ {
		for off := 0; off <= n; off++ {
			for _, sp := range specials {
				body := make([]byte, 0, n+len(sp)+2)
				body = append(body, '"')
				for j := 0; j < off; j++ {
					body = append(body, 'a'+byte(j%26))
				}
				body = append(body, sp...)
				for j := off; j < n; j++ {
					body = append(body, 'z')
				}
				for _, closed := range []bool{true, false} {
					data := body
					if closed {
						data = append(body[:len(body):len(body)], `",1`...)
					}
					useStopAVX2 = true
					e1, x1, g1 := scanString(data, 0)
					useStopAVX2 = false
					e2, x2, g2 := scanString(data, 0)
					if e1 != e2 || x1 != x2 || g1 != g2 {
						t.Fatalf("scanString(%q): AVX2 (%d, %v, %v), Go (%d, %v, %v)", data, e1, x1, g1, e2, x2, g2)
					}
				}
			}
		}
	}
}
