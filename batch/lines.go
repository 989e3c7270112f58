package batch

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// lineReader reads NDJSON lines with a fixed buffer, so memory does not depend on
// the file size or on the length of its longest line. Lines longer than max are
// reported as too long (their bytes skipped) instead of failing the stream.
type lineReader struct {
	r       *bufio.Reader
	max     int
	scratch []byte
	offset  int64 // bytes consumed so far, relative to the start of the stream
}

// line is one physical input line without its terminator (LF or CRLF).
type line struct {
	data    []byte // valid until the next call to next
	tooLong bool   // the line was longer than max; data is empty
	size    int64  // bytes consumed including the terminator
}

func newLineReader(r io.Reader, bufSize, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, bufSize), max: max}
}

// next returns the next line, or io.EOF when the stream is exhausted. A final line
// without a trailing newline is returned like any other.
func (lr *lineReader) next() (line, error) {
	data, err := lr.r.ReadSlice('\n')
	if err == nil || (err == io.EOF && len(data) > 0) {
		lr.offset += int64(len(data))
		l := line{data: trimEOL(data), size: int64(len(data))}
		if len(l.data) > lr.max {
			l = line{tooLong: true, size: l.size}
		}
		return l, nil
	}
	if err == io.EOF {
		return line{}, io.EOF
	}
	if !errors.Is(err, bufio.ErrBufferFull) {
		return line{}, err
	}
	// The line is longer than the buffer: gather it in scratch up to max, then
	// skip the rest without keeping it.
	size := int64(len(data))
	lr.scratch = append(lr.scratch[:0], data...)
	tooLong := len(lr.scratch) > lr.max
	for {
		data, err = lr.r.ReadSlice('\n')
		size += int64(len(data))
		if !tooLong {
			lr.scratch = append(lr.scratch, data...)
			if len(lr.scratch) > lr.max+2 { // +2: the terminator is not part of the line
				tooLong = true
				lr.scratch = lr.scratch[:0]
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && err != io.EOF {
			return line{}, err
		}
		break
	}
	lr.offset += size
	if tooLong {
		return line{tooLong: true, size: size}, nil
	}
	l := line{data: trimEOL(lr.scratch), size: size}
	if len(l.data) > lr.max {
		l = line{tooLong: true, size: size}
	}
	return l, nil
}

// trimEOL drops one trailing LF, then one trailing CR. It compares bytes directly:
// bytes.TrimSuffix's call into memequal was 3% of a 3-label job's CPU (issue 23).
func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return b
}

// isBlank reports whether a line holds only whitespace. Blank lines produce no result.
func isBlank(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n', '\f', '\v':
		default:
			return false
		}
	}
	return true
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// lineError is a per-line failure; its text is what the result line's "error" says.
func lineError(lineNo int64, format string, args ...any) string {
	return fmt.Sprintf("line %d: ", lineNo) + fmt.Sprintf(format, args...)
}
