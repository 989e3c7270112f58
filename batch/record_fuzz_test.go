package batch

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzParseLine: the hand-rolled scanner gives exactly what encoding/json gives, text,
// id and error message, for any line.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"text":"hello world"}`,
		`{"text":"caf\u00e9 \"quoted\" \\ back\/slash\n\t","id":"a\"b"}`,
		`{"text":"\ud83d\ude00 pair","id":-1.5e3}`,
		`{"text":"\ud83d lone"}`,
		`  {"Text":"case","text":"x"}`,
		`{"text":"a","text":"b"}`,
		`{"TEXT":"upper"}`,
		`{"te\u0078t":"escaped key"}`,
		`{"text":null,"id":null}`,
		`{"text":12}`,
		`{"text":"   "}`,
		`{"text":"ok","meta":{"a":[1,2]}}`,
		`{"text":"ok",}`,
		`{"text":"ok"} x`,
		`{ "id" : 007 , "text" : "x" }`,
		`{"id":true,"text":"x"}`,
		"\r{\"text\":\"x\"}",
		`[1,2]`,
		`"text"`,
		`{}`,
		`{"text":"` + "\u2028\u00a0" + `"}`,
		`{"text":"\u0000\u001f"}`,
		`{"text":"é`,
		`{"id":1e,"text":"x"}`,
		`{"K":"kelvin","text":"x"}`,
		"{\"text\":\"a\tb\"}",                       // a raw control character: invalid JSON
		"{\"text\":\"twelve bytes\x01 then more\"}", // ... past the first 8 bytes
		"{\"text\":\"raw\x1f\\\" escaped\"}",        // ... before an escape
		"{\"text\":\"0123456789abcdef\x7f\"}",       // 0x7f is not one
		// The AVX2 scan's 32-byte blocks: a quote, escape or control byte as the last
		// byte of a block, the first of the next, and in the Go tail after the blocks.
		`{"text":"` + strings.Repeat("b", 31) + `"}`,
		`{"text":"` + strings.Repeat("b", 32) + `"}`,
		`{"text":"` + strings.Repeat("b", 31) + `\"` + strings.Repeat("c", 40) + `"}`,
		`{"text":"` + strings.Repeat("b", 32) + `\n` + strings.Repeat("c", 3) + `"}`,
		"{\"text\":\"" + strings.Repeat("b", 31) + "\x01" + strings.Repeat("c", 33) + "\"}",
		"{\"text\":\"" + strings.Repeat("b", 64) + "\x1f\"}",
		`{"id":"` + strings.Repeat("é", 20) + `","text":"` + strings.Repeat("\u00e9", 11) + `"}`,
	} {
		f.Add([]byte(s), 20)
		f.Add([]byte(s), 1000)
	}
	f.Fuzz(func(t *testing.T, line []byte, max int) {
		if max < 1 {
			max = 1
		}
		line = bytes.Clone(line)
		want, werr := parseLineSlow(line, max)
		var scratch []byte
		got, gerr := parseLineBuf(line, max, &scratch)
		if (werr == nil) != (gerr == nil) || (werr != nil && werr.Error() != gerr.Error()) {
			t.Fatalf("%q: error %v, want %v", line, gerr, werr)
		}
		if (werr == nil && string(got.text) != string(want.text)) || !bytes.Equal(got.id, want.id) || (got.id == nil) != (want.id == nil) {
			t.Fatalf("%q: got (%q, %q), want (%q, %q)", line, got.text, got.id, want.text, want.id)
		}
	})
}
