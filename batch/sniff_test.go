package batch

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestCheckNDJSON(t *testing.T) {
	png := []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d}
	for _, tc := range []struct {
		name   string
		pieces []string
		kind   string // "" = accepted
		msgHas string
	}{
		{"object", []string{`{"text":"hi"}` + "\n"}, "", ""},
		{"blank lines, BOM and CRLF first", []string{"\uFEFF\r\n  \n\t{\"text\":\"hi\"}"}, "", ""},
		{"bad JSON on a line that starts right", []string{"{oops\n[1]\n"}, "", ""},
		{"empty", nil, "", ""},
		{"only blank lines", []string{"\n\n", "  \n"}, "", ""},
		{"gzip", []string{"\x1f\x8b\x08\x00rest"}, "", ""},
		{"zstd in pieces", []string{"\x28", "\xb5\x2f", "\xfd", "rest"}, "", ""},
		{"BOM in pieces", []string{"\xef", "\xbb\xbf", `{"text":"x"}`}, "", ""},
		{"object after blank pieces", []string{"\n", " ", "{"}, "", ""},
		{"JSON array", []string{`[{"text":"a"},{"text":"b"}]`}, "array", `starts with "[{\"text\":\"a\"},{\"text\":\"b\"}]"`},
		{"pretty-printed array", []string{"\n[\n  {\"text\":\"a\"}\n]"}, "array", `starts with "["`},
		{"CSV", []string{"text,label\r\nhello,greeting\n"}, "text", `starts with "text,label"`},
		{"a number", []string{"42\n"}, "text", `starts with "42"`},
		{"binary", []string{string(png)}, "binary", "89 50 4e 47 0d 0a 1a 0a"},
		{"UTF-16", []string{"\xff\xfe{\x00\"\x00"}, "binary", "ff fe 7b 00"},
		{"long first line is cut", []string{strings.Repeat("x", 200)}, "text", strings.Repeat("x", 60) + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got bytes.Buffer
			w := CheckNDJSON(&got)
			var err error
			var want strings.Builder
			for _, p := range tc.pieces {
				if _, err = w.Write([]byte(p)); err != nil {
					break
				}
				want.WriteString(p)
			}
			var nd *NotNDJSONError
			switch {
			case tc.kind == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.kind == "":
				if got.String() != want.String() {
					t.Fatalf("passed %q, want %q", got.String(), want.String())
				}
			case !errors.As(err, &nd):
				t.Fatalf("err %v, want a *NotNDJSONError", err)
			case nd.Kind != tc.kind || !strings.Contains(err.Error(), tc.msgHas) || !strings.Contains(err.Error(), `one JSON object per line`):
				t.Fatalf("%s: %q; want kind %s, naming %q and what is expected", nd.Kind, err, tc.kind, tc.msgHas)
			default:
				// Refused: nothing after the refusal gets through.
				if _, err2 := w.Write([]byte(`{"text":"x"}`)); err2 == nil {
					t.Fatal("a write after the refusal succeeded")
				}
			}
		})
	}
}
