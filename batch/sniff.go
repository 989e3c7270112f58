package batch

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// NotNDJSONError is an upload whose first bytes show that it is not NDJSON at all: a JSON
// array, a CSV file, a binary file. Such a file would only fail line by line once started,
// so a local upload refuses it at once (CheckNDJSON) and says what it saw.
type NotNDJSONError struct {
	// Kind is "binary", "array", "text" or "empty" (no bytes at all).
	Kind string
	// FirstLine is the start of the first non-blank line (quoted text), or its first bytes in
	// hex for a binary file.
	FirstLine string
}

func (e *NotNDJSONError) Error() string {
	const want = `one JSON object per line, like {"text":"..."}`
	switch e.Kind {
	case "empty":
		return fmt.Sprintf("the file is empty (0 bytes); expected %s", want)
	case "binary":
		return fmt.Sprintf("the file is not NDJSON: it looks like a binary file (its first bytes are %s); expected %s, as UTF-8 text, or such a file compressed with gzip or zstd", e.FirstLine, want)
	case "array":
		return fmt.Sprintf("the file is a JSON array, not NDJSON: its first line starts with %s; write %s instead of an array", e.FirstLine, want)
	}
	return fmt.Sprintf("the file is not NDJSON: its first line starts with %s; expected %s", e.FirstLine, want)
}

// CheckNDJSON returns a writer that passes everything to w once the stream's first
// non-blank byte has shown that it can be NDJSON: '{' (after an optional UTF-8 BOM), or
// the magic bytes of gzip or zstd. Otherwise the Write that brings that byte fails with a
// *NotNDJSONError and nothing more is written. A stream of only blank lines passes (it is
// an empty job), but a stream of no bytes at all does not: End refuses it (issue 22 #14),
// since an empty file is almost always the wrong file or a failed export. The check looks only at the first line's first byte: a file that starts
// right and has bad lines later is NDJSON with bad lines, and each fails alone.
func CheckNDJSON(w io.Writer) io.Writer { return &ndjsonCheck{w: w} }

type ndjsonCheck struct {
	w       io.Writer
	seen    bool // some byte was written
	decided bool
	head    []byte // the stream's first bytes while undecided (blank lines, a BOM)
	err     error
}

// End is called once the whole stream was written, before it is stored (blob.Local's
// uploads): a stream without a byte is refused.
func (c *ndjsonCheck) End() error {
	if !c.seen && c.err == nil {
		c.err = &NotNDJSONError{Kind: "empty"}
	}
	return c.err
}

// maxSniff is how many leading bytes of blank lines the check looks through before it
// gives up and lets the stream be.
const maxSniff = 64 << 10

func (c *ndjsonCheck) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	c.seen = c.seen || len(p) > 0
	if !c.decided {
		c.head = append(c.head, p[:min(len(p), maxSniff)]...)
		ok, err := sniffNDJSON(c.head)
		if err != nil {
			c.err = err
			return 0, err
		}
		if ok || len(c.head) >= maxSniff {
			c.decided, c.head = true, nil
		}
	}
	// Blank space and a BOM pass while undecided: they are what they are in any file.
	return c.w.Write(p)
}

// sniffNDJSON reports true when head can start NDJSON, false when it holds only blank
// space so far, and an error when it plainly is not NDJSON.
func sniffNDJSON(head []byte) (bool, error) {
	if bytes.HasPrefix(head, gzipMagic) || bytes.HasPrefix(head, zstdMagic) {
		return true, nil
	}
	if len(head) < len(zstdMagic) && (bytes.HasPrefix(zstdMagic, head) || bytes.HasPrefix(gzipMagic, head)) {
		return false, nil // a magic number may still be on its way
	}
	rest := bytes.TrimPrefix(head, utf8BOM)
	if len(rest) < len(utf8BOM) && bytes.HasPrefix(utf8BOM, rest) {
		return false, nil
	}
	i := 0
	for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t' || rest[i] == '\r' || rest[i] == '\n') {
		i++
	}
	if i == len(rest) {
		return false, nil
	}
	if rest[i] == '{' {
		return true, nil
	}
	if looksBinary(head[:min(len(head), 512)]) {
		n := min(len(head), 16)
		return false, &NotNDJSONError{Kind: "binary", FirstLine: fmt.Sprintf("% x", head[:n])}
	}
	line := rest[i:]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	line = bytes.TrimRight(line, "\r")
	first := string(line)
	if utf8.RuneCountInString(first) > 60 {
		first = string([]rune(first)[:60]) + "…"
	}
	kind := "text"
	if rest[i] == '[' {
		kind = "array"
	}
	return false, &NotNDJSONError{Kind: kind, FirstLine: fmt.Sprintf("%q", strings.ToValidUTF8(first, "\uFFFD"))}
}

// looksBinary: NUL or other control bytes than tab, CR, LF and FF, or invalid UTF-8 (a
// cut-off last character aside).
func looksBinary(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f' {
			return true
		}
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			return len(b) >= utf8.UTFMax // a cut-off rune at the end is not evidence
		}
		b = b[size:]
	}
	return false
}
