package batch

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/classer-ai/classer-batch/classify"
)

// record is one parsed input line.
type record struct {
	text string
	id   json.RawMessage // a JSON string or number, echoed verbatim; nil when absent
}

// parseLine decodes one non-blank NDJSON line. The returned error message is the
// per-line error without the "line N: " prefix.
func parseLine(data []byte, maxTextChars int) (record, error) {
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
	if err := json.Unmarshal(raw.Text, &rec.text); err != nil {
		return rec, errors.New("invalid JSON: " + jsonErrorText(err))
	}
	if len(bytes.TrimSpace([]byte(rec.text))) == 0 {
		return rec, errors.New(`"text" is empty`)
	}
	if n := utf8.RuneCountInString(rec.text); n > maxTextChars {
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
			dst = strconv.AppendFloat(dst, ls.Confidence, 'f', -1, 64)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	} else {
		dst = append(dst, `,"label":`...)
		dst = e.label(dst, r.Label)
		dst = append(dst, `,"confidence":`...)
		dst = strconv.AppendFloat(dst, r.Confidence, 'f', -1, 64)
	}
	dst = append(dst, `,"tokens":`...)
	dst = strconv.AppendInt(dst, int64(r.Tokens), 10)
	return append(dst, "}\n"...)
}

// appendError encodes one failed line.
func appendError(dst []byte, index int64, id json.RawMessage, msg string) []byte {
	dst = appendHead(dst, index, id)
	dst = append(dst, `,"error":`...)
	b, _ := json.Marshal(msg)
	dst = append(dst, b...)
	return append(dst, `,"tokens":0}`+"\n"...)
}
