package blob

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/textproto"
	"strings"
)

// formReader reads the parts of a multipart/form-data body, as mime/multipart.Reader does
// and with the same results (FuzzFormReader compares the two), but through one large buffer
// and a cheaper boundary scan. mime/multipart reads through its own 4 KiB buffer and, for
// every 4 KiB of a file part without a '\r' (NDJSON has none), scans the whole buffer
// backward byte by byte for one (bytes.LastIndexByte) only to find that no boundary can
// start there: a third of the CPU of an upload. Only the last len(delimiter) bytes can
// start a split boundary, so scanUntilBoundary below looks only there. The parsing steps
// mirror Go's mime/multipart (BSD licence), which is the reference.
type formReader struct {
	br             *bufio.Reader
	nl             []byte // "\r\n", or "\n" once the first boundary line ends in a bare LF
	nlDashBoundary []byte // nl + "--" + boundary
	dashBoundary   []byte // "--" + boundary
	dashBoundDash  []byte // "--" + boundary + "--"
	partsRead      int
	cur            *formPart
}

// maxBoundaryLine is the longest line nextPart takes between parts: mime/multipart reads
// them through its 4 KiB buffer and fails on longer ones; so does this.
const maxBoundaryLine = 4096

func newFormReader(r io.Reader, boundary string, bufSize int) *formReader {
	b := []byte("\r\n--" + boundary + "--")
	return &formReader{
		br:             bufio.NewReaderSize(r, bufSize),
		nl:             b[:2],
		nlDashBoundary: b[:len(b)-2],
		dashBoundDash:  b[2:],
		dashBoundary:   b[2 : len(b)-2],
	}
}

// useBuffer moves reading onto br, a larger buffer, reading from body (the raw body the
// form head was read from through a formHeadReader) once the bytes already buffered are
// used up. It is called at the start of the file part, before its first Read.
func (fr *formReader) useBuffer(br *bufio.Reader, body io.Reader) {
	buffered, _ := fr.br.Peek(fr.br.Buffered())
	br.Reset(io.MultiReader(bytes.NewReader(buffered), body))
	fr.br = br
}

// errFormHeadTooLarge: the form before the file part is over its limit.
var errFormHeadTooLarge = errors.New("multipart: form head too large")

// formHeadReader reads at most n bytes of the body and then fails with
// errFormHeadTooLarge: without it, a preamble or a field's part could be of any
// length, read by a client nobody has authenticated yet.
type formHeadReader struct {
	r io.Reader
	n int64
}

func (h *formHeadReader) Read(p []byte) (int, error) {
	if h.n <= 0 {
		return 0, errFormHeadTooLarge
	}
	if int64(len(p)) > h.n {
		p = p[:h.n]
	}
	n, err := h.r.Read(p)
	h.n -= int64(n)
	return n, err
}

// formPart is one part: its form field name and its body.
type formPart struct {
	name     string
	filename string    // the filename parameter of its Content-Disposition, if any
	r        io.Reader // the body, quoted-printable decoded if the part says so

	fr      *formReader
	n       int   // known data bytes at the front of the buffer
	total   int64 // data bytes read so far
	err     error // error to return once n is used up
	readErr error // error from the underlying reader
}

// next returns the next part, or io.EOF after the final boundary. The previous part's
// unread body is skipped.
func (fr *formReader) next() (*formPart, error) {
	if fr.cur != nil {
		io.Copy(io.Discard, fr.cur) // as Part.Close: an error shows in the next line read
	}
	if string(fr.dashBoundary) == "--" {
		return nil, errors.New("multipart: boundary is empty")
	}
	expectNewPart := false
	for {
		line, err := fr.br.ReadSlice('\n')
		if len(line) > maxBoundaryLine || errors.Is(err, bufio.ErrBufferFull) {
			return nil, errors.New("multipart: NextPart: line too long")
		}
		if err == io.EOF && fr.isFinalBoundary(line) {
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("multipart: NextPart: %w", err)
		}
		if fr.isBoundaryDelimiterLine(line) {
			fr.partsRead++
			p, err := fr.newPart()
			if err != nil {
				return nil, err
			}
			fr.cur = p
			return p, nil
		}
		if fr.isFinalBoundary(line) {
			return nil, io.EOF
		}
		if expectNewPart {
			return nil, fmt.Errorf("multipart: expecting a new Part; got line %q", string(line))
		}
		if fr.partsRead == 0 {
			continue // preamble
		}
		if bytes.Equal(line, fr.nl) {
			expectNewPart = true
			continue
		}
		return nil, fmt.Errorf("multipart: unexpected line in Next(): %q", line)
	}
}

func (fr *formReader) newPart() (*formPart, error) {
	// textproto reads the header lines straight from fr.br and would gather a line of any
	// length; the header block must end within one buffer instead (mime/multipart allows
	// 10 MB of headers; a form's part headers are a few hundred bytes).
	if err := fr.headerFits(); err != nil {
		return nil, err
	}
	h, err := textproto.NewReader(fr.br).ReadMIMEHeader()
	if err != nil {
		return nil, err // as mime/multipart: io.EOF stays io.EOF
	}
	p := &formPart{fr: fr}
	p.r = p
	if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "quoted-printable") {
		p.r = quotedprintable.NewReader(p)
	}
	// Part.FormName: the name parameter of a form-data Content-Disposition.
	if disp, params, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil && disp == "form-data" {
		p.name, p.filename = params["name"], params["filename"]
	}
	return p, nil
}

// headerFits makes sure the buffer holds the part's whole header block, reading more as
// needed, or fails when it cannot.
func (fr *formReader) headerFits() error {
	for {
		buf, _ := fr.br.Peek(fr.br.Buffered())
		if headerEnd(buf) {
			return nil
		}
		if len(buf) >= fr.br.Size() {
			return errors.New("multipart: part headers are too large")
		}
		if _, err := fr.br.Peek(len(buf) + 1); err != nil {
			// All there is is buffered: textproto answers what mime/multipart answers
			// (io.EOF for nothing at all, a parse error for a cut-off header).
			return nil
		}
	}
}

// headerEnd reports whether buf holds the blank line that ends a header block.
func headerEnd(buf []byte) bool {
	if bytes.HasPrefix(buf, []byte("\n")) || bytes.HasPrefix(buf, []byte("\r\n")) {
		return true
	}
	return bytes.Contains(buf, []byte("\n\n")) || bytes.Contains(buf, []byte("\n\r\n"))
}

func (fr *formReader) isFinalBoundary(line []byte) bool {
	if !bytes.HasPrefix(line, fr.dashBoundDash) {
		return false
	}
	rest := skipLWSPChar(line[len(fr.dashBoundDash):])
	return len(rest) == 0 || bytes.Equal(rest, fr.nl)
}

func (fr *formReader) isBoundaryDelimiterLine(line []byte) bool {
	if !bytes.HasPrefix(line, fr.dashBoundary) {
		return false
	}
	rest := skipLWSPChar(line[len(fr.dashBoundary):])
	// Bare LF line endings on the first boundary line switch to LF mode, as in mime/multipart.
	if fr.partsRead == 0 && len(rest) == 1 && rest[0] == '\n' {
		fr.nl = fr.nl[1:]
		fr.nlDashBoundary = fr.nlDashBoundary[1:]
	}
	return bytes.Equal(rest, fr.nl)
}

func skipLWSPChar(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// Read reads the part's raw body up to its boundary.
func (p *formPart) Read(d []byte) (int, error) {
	br := p.fr.br
	for p.n == 0 && p.err == nil {
		peek, _ := br.Peek(br.Buffered())
		p.n, p.err = scanUntilBoundary(peek, p.fr.dashBoundary, p.fr.nlDashBoundary, p.total, p.readErr)
		if p.n == 0 && p.err == nil {
			_, p.readErr = br.Peek(len(peek) + 1)
			if p.readErr == io.EOF {
				p.readErr = io.ErrUnexpectedEOF
			}
		}
	}
	if p.n == 0 {
		return 0, p.err
	}
	n, _ := br.Read(d[:min(len(d), p.n)])
	p.total += int64(n)
	p.n -= n
	if p.n == 0 {
		return n, p.err
	}
	return n, nil
}

// scanUntilBoundary is mime/multipart's: how many bytes of buf are body data before a
// boundary (and io.EOF if the boundary follows them), or 0 to read more. The one change:
// a boundary split at the end of buf can only start in its last len(nlDashBoundary) bytes,
// so only those are searched for its first byte.
func scanUntilBoundary(buf, dashBoundary, nlDashBoundary []byte, total int64, readErr error) (int, error) {
	if total == 0 {
		// At the beginning of the body, allow dashBoundary.
		if bytes.HasPrefix(buf, dashBoundary) {
			switch matchAfterPrefix(buf, dashBoundary, readErr) {
			case -1:
				return len(dashBoundary), nil
			case 0:
				return 0, nil
			case +1:
				return 0, io.EOF
			}
		}
		if bytes.HasPrefix(dashBoundary, buf) {
			return 0, readErr
		}
	}
	if i := bytes.Index(buf, nlDashBoundary); i >= 0 {
		switch matchAfterPrefix(buf[i:], nlDashBoundary, readErr) {
		case -1:
			return i + len(nlDashBoundary), nil
		case 0:
			return i, nil
		case +1:
			return i, io.EOF
		}
	}
	if bytes.HasPrefix(nlDashBoundary, buf) {
		return 0, readErr
	}
	tail := max(0, len(buf)-len(nlDashBoundary))
	if i := bytes.LastIndexByte(buf[tail:], nlDashBoundary[0]); i >= 0 && bytes.HasPrefix(nlDashBoundary, buf[tail+i:]) {
		return tail + i, nil
	}
	return len(buf), readErr
}

// matchAfterPrefix is mime/multipart's: +1 if buf, which starts with prefix, is a boundary
// (prefix then "--", space, tab, CR, LF or the end of the input), -1 if it is not, 0 if
// more input is needed to tell.
func matchAfterPrefix(buf, prefix []byte, readErr error) int {
	if len(buf) == len(prefix) {
		if readErr != nil {
			return +1
		}
		return 0
	}
	c := buf[len(prefix)]
	if c == ' ' || c == '\t' || c == '\r' || c == '\n' {
		return +1
	}
	if c == '-' {
		if len(buf) == len(prefix)+1 {
			if readErr != nil {
				return -1
			}
			return 0
		}
		if buf[len(prefix)+1] == '-' {
			return +1
		}
	}
	return -1
}
