package batch

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/classer-ai/classer-batch/classify"
)

// record is one parsed input line. Its text and id are bytes, not strings, because they
// may point into the line reader's buffer (or a chunk's), which the next read overwrites:
// string(rec.text) copies, so only code that holds the line for as long as it uses the
// text may borrow it without a copy (borrowString; the pipeline's chunks do, issue 22).
type record struct {
	text []byte
	id   json.RawMessage // a JSON string or number, echoed verbatim; nil when absent
}

// borrowString is b as a string without a copy: it is valid only while b's bytes are
// unchanged, so it must not outlive the buffer b points into.
func borrowString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// parseLine decodes one non-blank NDJSON line. The returned error message is the
// per-line error without the "line N: " prefix. The record's text and id may point
// into data (or into *scratch, where escaped text is decoded): they are valid while
// both are unchanged. scratch may be nil.
func parseLine(data []byte, maxTextChars int) (record, error) {
	return parseLineBuf(data, maxTextChars, nil)
}

// parseLineBuf is parseLine with a reusable buffer for decoding escaped text: the
// common line (a flat object, simple values) is scanned by hand without allocating;
// anything else goes through encoding/json (parseLineSlow), so results and error
// messages are the same either way (FuzzParseLine compares them).
func parseLineBuf(data []byte, maxTextChars int, scratch *[]byte) (record, error) {
	if !utf8.Valid(data) {
		return record{}, errors.New("invalid UTF-8")
	}
	if text, id, ok := scanLine(data); ok {
		var rec record
		if len(id) > 0 && (id[0] == '"' || id[0] == '-' || (id[0] >= '0' && id[0] <= '9')) {
			rec.id = id
		}
		if len(text) == 0 || string(text) == "null" {
			return rec, errors.New(`missing "text" field`)
		}
		if text[0] != '"' {
			return rec, errors.New(`"text" must be a string`)
		}
		inner := text[1 : len(text)-1]
		if bytes.IndexByte(inner, '\\') >= 0 {
			var buf []byte
			if scratch != nil {
				buf = *scratch
			}
			start := len(buf)
			buf, ok = unescape(buf, inner)
			if !ok {
				return parseLineSlow(data, maxTextChars)
			}
			if scratch != nil {
				*scratch = buf
			}
			inner = buf[start:len(buf):len(buf)]
		}
		if len(bytes.TrimSpace(inner)) == 0 {
			return rec, errors.New(`"text" is empty`)
		}
		// A text has at most as many characters as bytes: only a long one needs counting.
		if len(inner) > maxTextChars {
			if n := utf8.RuneCountInString(unsafe.String(unsafe.SliceData(inner), len(inner))); n > maxTextChars {
				return rec, errors.New(`"text" is ` + strconv.Itoa(n) + " characters, over the limit of " + strconv.Itoa(maxTextChars))
			}
		}
		rec.text = inner
		return rec, nil
	}
	return parseLineSlow(data, maxTextChars)
}

// scanLine recognises a line that is one flat JSON object whose keys are plain
// lowercase-safe strings and whose values are strings, numbers, true, false or null,
// and returns the raw values of its last "text" and "id" members (nil if absent), as
// encoding/json's json.RawMessage fields would hold them. ok is false for anything
// else (other syntax, nested values, keys that encoding/json would match
// case-insensitively, leading whitespace other than spaces and tabs), which the caller
// hands to encoding/json. data must be valid UTF-8.
func scanLine(data []byte) (text, id []byte, ok bool) {
	i := 0
	for i < len(data) && (data[i] == ' ' || data[i] == '\t') {
		i++
	}
	if i >= len(data) || data[i] != '{' {
		return nil, nil, false
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == '}' {
		i = skipWS(data, i+1)
		return nil, nil, i == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return nil, nil, false
		}
		kEnd, esc, good := scanString(data, i)
		if !good || esc {
			return nil, nil, false
		}
		key := data[i+1 : kEnd-1]
		i = skipWS(data, kEnd)
		if i >= len(data) || data[i] != ':' {
			return nil, nil, false
		}
		i = skipWS(data, i+1)
		vStart := i
		if i >= len(data) {
			return nil, nil, false
		}
		switch c := data[i]; {
		case c == '"':
			i, _, good = scanString(data, i)
		case c == '-' || ('0' <= c && c <= '9'):
			i, good = scanNumber(data, i)
		case c == 't':
			i, good = scanLiteral(data, i, "true")
		case c == 'f':
			i, good = scanLiteral(data, i, "false")
		case c == 'n':
			i, good = scanLiteral(data, i, "null")
		default:
			good = false
		}
		if !good {
			return nil, nil, false
		}
		val := data[vStart:i:i]
		switch string(key) {
		case "text":
			text = val
		case "id":
			id = val
		default:
			if foldsTo(key, "text") || foldsTo(key, "id") {
				return nil, nil, false // encoding/json matches keys case-insensitively
			}
		}
		i = skipWS(data, i)
		if i >= len(data) {
			return nil, nil, false
		}
		if data[i] == '}' {
			i = skipWS(data, i+1)
			return text, id, i == len(data)
		}
		if data[i] != ',' {
			return nil, nil, false
		}
		i = skipWS(data, i+1)
	}
}

func skipWS(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// foldsTo reports whether key could match name under encoding/json's case-insensitive
// key matching. Any non-ASCII key counts as a possible match (Unicode folding such as
// the Kelvin sign), to stay on the safe side.
func foldsTo(key []byte, name string) bool {
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return true
		}
	}
	return bytes.EqualFold(key, []byte(name))
}

// scanString scans the JSON string starting at data[i] == '"' and returns the index
// after its closing quote and whether it holds escapes; good is false if it is not a
// valid JSON string.
func scanString(data []byte, i int) (end int, esc, good bool) {
	i++
	if useStopAVX2 {
		// One pass, 32 bytes at a time, to the first byte that is not plain text: the
		// common string's closing quote. The loop below checks what it stopped at.
		rest := data[i:]
		i += stopIndexAVX2(unsafe.SliceData(rest), len(rest))
	} else if q := bytes.IndexByte(data[i:], '"'); q >= 0 {
		// The common string: no escape and no control character before the first quote.
		span := data[i : i+q]
		if bytes.IndexByte(span, '\\') < 0 && !hasControl(span) {
			return i + q + 1, false, true
		}
	}
	for i < len(data) {
		// Skip 8 plain bytes at a time: none is '"', '\\' or a control character.
		for i+8 <= len(data) && plain8(binary.LittleEndian.Uint64(data[i:])) {
			i += 8
		}
		if i >= len(data) {
			break
		}
		c := data[i]
		switch {
		case c == '"':
			return i + 1, esc, true
		case c == '\\':
			esc = true
			if i+1 >= len(data) {
				return 0, false, false
			}
			switch data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(data) {
					return 0, false, false
				}
				for _, h := range data[i+2 : i+6] {
					if !isHex(h) {
						return 0, false, false
					}
				}
				i += 6
			default:
				return 0, false, false
			}
		case c < 0x20:
			return 0, false, false
		default:
			i++
		}
	}
	return 0, false, false
}

// plain8 reports whether none of the 8 bytes in x is '"', '\\' or below 0x20 (SWAR:
// the has-zero-byte test is exact about whether such a byte exists).
func plain8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	b := x ^ (ones * '\\')
	return ((q-ones)&^q|(b-ones)&^b|(x-ones*0x20)&^x)&highs == 0
}

// hasControl reports whether b holds a byte below 0x20.
func hasControl(b []byte) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		if (x-ones*0x20)&^x&highs != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// scanNumber scans a JSON number at data[i].
func scanNumber(data []byte, i int) (int, bool) {
	if data[i] == '-' {
		i++
	}
	if i >= len(data) {
		return 0, false
	}
	switch {
	case data[i] == '0':
		i++
	case '1' <= data[i] && data[i] <= '9':
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
	default:
		return 0, false
	}
	if i < len(data) && data[i] == '.' {
		i++
		d := i
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
		if i == d {
			return 0, false
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		d := i
		for i < len(data) && '0' <= data[i] && data[i] <= '9' {
			i++
		}
		if i == d {
			return 0, false
		}
	}
	return i, true
}

func scanLiteral(data []byte, i int, lit string) (int, bool) {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}

// unescape appends the decoded form of a valid JSON string body (s, without quotes) to
// dst. It reports false for \u escapes of UTF-16 surrogates that are not a valid pair,
// whose decoding (U+FFFD) is left to encoding/json.
func unescape(dst, s []byte) ([]byte, bool) {
	for len(s) > 0 {
		k := bytes.IndexByte(s, '\\')
		if k < 0 {
			return append(dst, s...), true
		}
		dst = append(dst, s[:k]...)
		s = s[k:]
		switch s[1] {
		case '"', '\\', '/':
			dst = append(dst, s[1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(s[2:6])
			s = s[6:]
			if utf16.IsSurrogate(r) {
				// Only a valid pair is decoded here; encoding/json turns lone halves
				// into U+FFFD.
				if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
					return dst, false
				}
				if r = utf16.DecodeRune(r, hex4(s[2:6])); r == utf8.RuneError {
					return dst, false
				}
				s = s[6:]
			}
			dst = utf8.AppendRune(dst, r)
			continue
		}
		s = s[2:]
	}
	return dst, true
}

// hex4 decodes four hex digits (already validated by scanString).
func hex4(h []byte) rune {
	var r rune
	for _, c := range h[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// parseLineSlow is parseLine through encoding/json: the reference for every line, and
// the path for those scanLine does not handle.
func parseLineSlow(data []byte, maxTextChars int) (record, error) {
	if !utf8.Valid(data) {
		return record{}, errors.New("invalid UTF-8")
	}
	trimmed := bytes.TrimLeft(data, " \t")
	if len(trimmed) > 0 && trimmed[0] != '{' {
		if trimmed[0] == '[' {
			return record{}, errors.New("expected a JSON object, got an array")
		}
		if json.Valid(trimmed) {
			return record{}, errors.New("expected a JSON object with a \"text\" field")
		}
	}
	var raw struct {
		Text json.RawMessage `json:"text"`
		ID   json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return record{}, errors.New("invalid JSON: " + jsonErrorText(err))
	}
	var rec record
	if len(raw.ID) > 0 && (raw.ID[0] == '"' || raw.ID[0] == '-' || (raw.ID[0] >= '0' && raw.ID[0] <= '9')) {
		rec.id = raw.ID
	}
	if len(raw.Text) == 0 || bytes.Equal(raw.Text, []byte("null")) {
		return rec, errors.New(`missing "text" field`)
	}
	if raw.Text[0] != '"' {
		return rec, errors.New(`"text" must be a string`)
	}
	var text string
	if err := json.Unmarshal(raw.Text, &text); err != nil {
		return rec, errors.New("invalid JSON: " + jsonErrorText(err))
	}
	// The string is encoding/json's own copy: its bytes are the record's without a
	// second copy (nothing writes a record's text).
	rec.text = unsafe.Slice(unsafe.StringData(text), len(text))
	if len(bytes.TrimSpace(rec.text)) == 0 {
		return rec, errors.New(`"text" is empty`)
	}
	if n := utf8.RuneCountInString(text); n > maxTextChars {
		return rec, errors.New(`"text" is ` + strconv.Itoa(n) + " characters, over the limit of " + strconv.Itoa(maxTextChars))
	}
	return rec, nil
}

// jsonErrorText turns encoding/json's messages into ones that read well after "invalid JSON: ".
func jsonErrorText(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		msg := syn.Error()
		if msg == "unexpected end of JSON input" {
			return "unexpected end of input"
		}
		return msg + " at byte " + strconv.FormatInt(syn.Offset, 10)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "expected a JSON object"
	}
	return err.Error()
}

// resultEncoder appends result lines as bytes; it holds the spec's labels already
// JSON-escaped so the hot path never reflects or escapes them again.
type resultEncoder struct {
	labels map[string][]byte
}

func newResultEncoder(spec classify.Spec) *resultEncoder {
	e := &resultEncoder{labels: make(map[string][]byte, len(spec.Labels))}
	for _, l := range spec.Labels {
		b, _ := json.Marshal(l)
		e.labels[l] = b
	}
	return e
}

func (e *resultEncoder) label(dst []byte, l string) []byte {
	if b, ok := e.labels[l]; ok {
		return append(dst, b...)
	}
	b, _ := json.Marshal(l)
	return append(dst, b...)
}

func appendHead(dst []byte, index int64, id json.RawMessage) []byte {
	dst = append(dst, `{"index":`...)
	dst = strconv.AppendInt(dst, index, 10)
	if len(id) > 0 {
		dst = append(dst, `,"id":`...)
		dst = append(dst, id...)
	}
	return dst
}

// appendResult encodes one successful line in the DESIGN.md §2 result format.
func (e *resultEncoder) appendResult(dst []byte, index int64, id json.RawMessage, multi bool, r *classify.Result) []byte {
	dst = appendHead(dst, index, id)
	if multi {
		dst = append(dst, `,"labels":[`...)
		for i, ls := range r.Labels {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"label":`...)
			dst = e.label(dst, ls.Label)
			dst = append(dst, `,"confidence":`...)
			dst = appendConfidence(dst, ls.Confidence)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	} else {
		dst = append(dst, `,"label":`...)
		dst = e.label(dst, r.Label)
		dst = append(dst, `,"confidence":`...)
		dst = appendConfidence(dst, r.Confidence)
	}
	dst = append(dst, `,"tokens":`...)
	dst = strconv.AppendInt(dst, int64(r.Tokens), 10)
	return append(dst, "}\n"...)
}

// appendConfidence appends c exactly as strconv.AppendFloat(dst, c, 'f', -1, 64) does.
// Confidences are rounded to 4 decimals (classify.Round4): when c is k/10⁴ for a k in
// 1..10000, that decimal reads back as c and no shorter one can (another decimal of at
// most 4 places is at least 10⁻⁴ away), so it is the shortest form, written here
// directly instead of through the general shortest-digits search (3% of a 3-label
// job's CPU, issue 23). Every other value, zero included (-0 prints as "-0"), goes
// to AppendFloat. TestAppendConfidence compares both over every k.
func appendConfidence(dst []byte, c float64) []byte {
	if c > 0 && c <= 1 {
		if k := math.Round(c * 1e4); k/1e4 == c {
			n := int(k)
			if n == 10000 {
				return append(dst, '1')
			}
			d := [6]byte{'0', '.', byte('0' + n/1000), byte('0' + n/100%10), byte('0' + n/10%10), byte('0' + n%10)}
			end := len(d)
			for d[end-1] == '0' {
				end--
			}
			return append(dst, d[:end]...)
		}
	}
	return strconv.AppendFloat(dst, c, 'f', -1, 64)
}

// appendError encodes one failed line.
func appendError(dst []byte, index int64, id json.RawMessage, msg string) []byte {
	dst = appendHead(dst, index, id)
	dst = append(dst, `,"error":`...)
	b, _ := json.Marshal(msg)
	dst = append(dst, b...)
	return append(dst, `,"tokens":0}`+"\n"...)
}
