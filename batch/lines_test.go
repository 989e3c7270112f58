package batch

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestLineReader(t *testing.T) {
	long := strings.Repeat("x", 100)
	for _, tc := range []struct {
		name  string
		input string
		buf   int
		max   int
		want  []string // "!" marks a too-long line
	}{
		{"lf", "a\nb\n", 16, 50, []string{"a", "b"}},
		{"crlf", "a\r\nb\r\n", 16, 50, []string{"a", "b"}},
		{"no trailing newline", "a\nb", 16, 50, []string{"a", "b"}},
		{"blank lines kept as lines", "a\n\n\nb\n", 16, 50, []string{"a", "", "", "b"}},
		{"empty input", "", 16, 50, nil},
		{"line longer than the buffer but within max", long[:40] + "\nb\n", 16, 50, []string{long[:40], "b"}},
		{"line over max is skipped, not held", long + "\nb\n", 16, 50, []string{"!", "b"}},
		{"a very long line is skipped, not held", strings.Repeat(long, 100) + "\nb\n", 16, 50, []string{"!", "b"}},
		{"over max without newline at EOF", "a\n" + long, 16, 50, []string{"a", "!"}},
		{"exactly max", long[:50] + "\n", 16, 50, []string{long[:50]}},
		{"max plus CR", long[:50] + "\r\n", 16, 50, []string{long[:50]}},
		{"one CR before the LF is dropped, not two", "a\r\r\nb\r", 16, 50, []string{"a\r", "b"}},
		{"a CR alone is not a line end", "a\rb\n", 16, 50, []string{"a\rb"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// OneByteReader makes every boundary case of the buffer happen.
			for _, r := range []io.Reader{strings.NewReader(tc.input), iotest.OneByteReader(strings.NewReader(tc.input))} {
				lr := newLineReader(r, tc.buf, tc.max)
				var got []string
				var total int64
				for {
					l, err := lr.next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
					total += l.size
					if l.tooLong {
						got = append(got, "!")
					} else {
						got = append(got, string(l.data))
					}
				}
				if strings.Join(got, "|") != strings.Join(tc.want, "|") || len(got) != len(tc.want) {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
				if total != int64(len(tc.input)) || lr.offset != total {
					t.Fatalf("sizes add up to %d (offset %d), input is %d bytes", total, lr.offset, len(tc.input))
				}
				// A line is gathered up to max (plus a buffer's worth) and no further.
				if held := cap(lr.scratch); held > 2*(tc.max+2+tc.buf) {
					t.Fatalf("the reader held %d bytes of a line; max is %d", held, tc.max)
				}
			}
		})
	}
}

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		text, id   string
		err        string
	}{
		{"text", `{"text":"hello"}`, "hello", "", ""},
		{"string id", `{"id":"a-1","text":"hi"}`, "hi", `"a-1"`, ""},
		{"number id", `{"id":42,"text":"hi"}`, "hi", `42`, ""},
		{"object id ignored", `{"id":{"x":1},"text":"hi"}`, "hi", "", ""},
		{"extra fields ignored", `{"text":"hi","meta":{"a":[1,2]}}`, "hi", "", ""},
		{"escapes", `{"text":"a\"b\\c\u00e9\n"}`, "a\"b\\cé\n", "", ""},
		{"invalid JSON", `{"text": "broken`, "", "", "invalid JSON: unexpected end of input"},
		{"not JSON", `hello world`, "", "", "invalid JSON"},
		{"array", `["text"]`, "", "", "expected a JSON object, got an array"},
		{"number", `42`, "", "", "expected a JSON object"},
		{"missing text", `{"id":1}`, "", "1", `missing "text" field`},
		{"null text", `{"text":null}`, "", "", `missing "text" field`},
		{"non-string text", `{"text":123}`, "", "", `"text" must be a string`},
		{"empty text", `{"text":""}`, "", "", `"text" is empty`},
		{"blank text", `{"text":"  \t "}`, "", "", `"text" is empty`},
		{"invalid UTF-8", "{\"text\":\"a\xff\"}", "", "", "invalid UTF-8"},
		{"NUL byte", "{\"text\":\"a\x00b\"}", "", "", "invalid JSON"},
		{"too long", `{"text":"` + strings.Repeat("é", 11) + `"}`, "", "", `"text" is 11 characters, over the limit of 10`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := parseLine([]byte(tc.line), 10)
			if tc.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.err) {
					t.Fatalf("error %v, want prefix %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if string(rec.text) != tc.text && tc.err == "" {
				t.Errorf("text %q, want %q", rec.text, tc.text)
			}
			if string(rec.id) != tc.id {
				t.Errorf("id %s, want %s", rec.id, tc.id)
			}
		})
	}
}

func FuzzLineReader(f *testing.F) {
	for _, s := range []string{"", "a\nb", "{\"text\":\"x\"}\r\n\n", strings.Repeat("y", 70) + "\nz"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		lr := newLineReader(bytes.NewReader(data), 16, 32)
		var total int64
		for {
			l, err := lr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(l.data) > 32 || bytes.ContainsRune(l.data, '\n') {
				t.Fatalf("bad line %q", l.data)
			}
			total += l.size
			if !l.tooLong {
				parseLine(l.data, 10) // must not panic
			}
		}
		if total != int64(len(data)) {
			t.Fatalf("consumed %d of %d bytes", total, len(data))
		}
	})
}
