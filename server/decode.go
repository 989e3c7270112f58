package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
)

// specFields are the classification-spec fields every endpoint accepts (DESIGN.md §2).
// Request structs embed it. A field no request struct knows is refused with 422 naming it
// (decodeJSON): a misspelt "labelz" silently ignored would run a job the client did not ask for.
type specFields struct {
	Labels       []string            `json:"labels"`
	Descriptions map[string]string   `json:"descriptions"`
	Examples     map[string][]string `json:"examples"`
	TextType     string              `json:"text_type"`
	SourceType   string              `json:"source_type"` // alias of text_type
	Mode         string              `json:"mode"`
	Threshold    *float64            `json:"threshold"`
	Classifier   string              `json:"classifier"`
	Model        string              `json:"model"`
}

// specOptions are the per-endpoint rules applied on top of the client's fields.
type specOptions struct {
	defaultThreshold float64
	forceMode        string // "" keeps the client's mode (batch jobs)
}

var (
	classifyOpts = specOptions{defaultThreshold: classify.DefaultBatchThreshold, forceMode: classify.ModeSingle}
	tagOpts      = specOptions{defaultThreshold: classify.DefaultTagThreshold, forceMode: classify.ModeMulti}
	jobOpts      = specOptions{defaultThreshold: classify.DefaultBatchThreshold}
)

// resolveSpec turns the request's spec fields into a validated spec, and names the saved
// classifier version it came from ("name@vN", or "" for inline labels). Errors are
// *apiError or *classify.ValidationError (422).
func (s *Server) resolveSpec(ctx context.Context, account string, f specFields, o specOptions) (classify.Spec, string, error) {
	spec := classify.Spec{
		Labels:       f.Labels,
		Descriptions: f.Descriptions,
		Examples:     f.Examples,
		TextType:     f.TextType,
		Mode:         f.Mode,
		Threshold:    f.Threshold,
		Model:        f.Model,
	}
	if spec.TextType == "" {
		spec.TextType = f.SourceType
	}
	ref := ""
	if f.Classifier != "" {
		if len(f.Labels) > 0 {
			return classify.Spec{}, "", validationError("classifier", "send either labels or classifier, not both")
		}
		saved, err := s.savedClassifier(ctx, account, f.Classifier)
		if err != nil {
			return classify.Spec{}, "", err
		}
		// The saved classifier provides the labels and their prototypes; the request's
		// text_type, mode and threshold win over the saved ones when it sends them.
		spec.Labels, spec.Descriptions, spec.Examples = saved.Spec.Labels, saved.Spec.Descriptions, saved.Spec.Examples
		if spec.TextType == "" {
			spec.TextType = saved.Spec.TextType
		}
		if spec.Mode == "" {
			spec.Mode = saved.Spec.Mode
		}
		if spec.Model == "" {
			spec.Model = saved.Spec.Model
		}
		if spec.Threshold == nil {
			spec.Threshold = saved.Spec.Threshold
		}
		ref = store.ClassifierRef(saved.Name, saved.Version)
	}
	if o.forceMode != "" {
		spec.Mode = o.forceMode
	}
	if err := spec.Normalize(o.defaultThreshold); err != nil {
		return classify.Spec{}, "", err
	}
	// The model a spec names is resolved now (the default when it names none), so a job or
	// a saved classifier keeps the model it was made with.
	name, err := classify.ResolveModel(s.clf, spec.Model)
	if err != nil {
		return classify.Spec{}, "", err
	}
	spec.Model = name
	return spec, ref, nil
}

// savedClassifier resolves a "name" (latest) or "name@vN" reference for the account.
// A malformed or unknown reference is a 422 on the classifier field: the request names a
// spec that does not exist, which is a validation problem of the request, not a missing URL.
func (s *Server) savedClassifier(ctx context.Context, account, ref string) (*store.Classifier, error) {
	name, version, ok := store.ParseClassifierRef(ref)
	if !ok {
		return nil, validationError("classifier", fmt.Sprintf("classifier %q is not a valid reference: want \"name\" or \"name@vN\"", ref))
	}
	c, err := s.store.Classifier(ctx, account, name, version)
	if errors.Is(err, batch.ErrNotFound) {
		return nil, validationError("classifier", fmt.Sprintf("saved classifier %q not found", ref))
	}
	if err != nil {
		return nil, fmt.Errorf("resolving classifier %q: %w", ref, err)
	}
	return c, nil
}

// decodeJSON decodes the JSON object in the request body into v. The body is bounded by
// MaxBodyBytes (413 PAYLOAD_TOO_LARGE above it); malformed JSON and values of the wrong type
// are 400 INVALID_JSON with a message naming the field or the offset.
func (s *Server) decodeJSON(c echo.Context, v any) error {
	// The underlying writer, not echo's wrapper, lets net/http close the connection
	// instead of draining an oversized body.
	body := http.MaxBytesReader(c.Response().Writer, c.Request().Body, s.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if name, ok := unknownField(err); ok {
			return unknownFieldError(name, jsonFields(reflect.TypeOf(v)))
		}
		return jsonError(err)
	}
	// One object per body: trailing data is as malformed as a missing brace.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return invalidJSON(fmt.Sprintf("invalid JSON: unexpected data after the object at offset %d", dec.InputOffset()), nil, err)
	}
	return nil
}

func jsonError(err error) error {
	var mbe *http.MaxBytesError
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return err // mapError: 413
	case errors.Is(err, io.EOF):
		return invalidJSON("request body is empty: expected a JSON object", nil, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return invalidJSON("invalid JSON: unexpected end of input", nil, err)
	case errors.As(err, &se):
		return invalidJSON(fmt.Sprintf("invalid JSON at offset %d: %s", se.Offset, se.Error()), map[string]any{"offset": se.Offset}, err)
	case errors.As(err, &te):
		field := strings.TrimPrefix(te.Field, "specFields.")
		if field == "" {
			return invalidJSON(fmt.Sprintf("request body must be a JSON object, got %s", jsonKind(te.Value)), nil, err)
		}
		// te.Value is the kind, or "number 1e999" for a number that does not fit.
		return invalidJSON(fmt.Sprintf("invalid value for %q at offset %d: expected %s, got %s",
			field, te.Offset, typeName(te.Type), te.Value),
			map[string]any{"field": field, "offset": te.Offset}, err)
	}
	// Reading the body failed (client reset, bad chunking): still the client's problem.
	return invalidJSON("could not read the request body", nil, err)
}

// jsonKind trims encoding/json's "number 1e999" style values down to the kind.
func jsonKind(v string) string {
	kind, _, _ := strings.Cut(v, " ")
	return kind
}

// typeName describes a Go type the way a JSON client thinks of it.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return t.String()
}

// unknownField returns the field name of encoding/json's error for a field the target type
// does not have (Decoder.DisallowUnknownFields), which has no type of its own.
func unknownField(err error) (string, bool) {
	name, ok := strings.CutPrefix(err.Error(), "json: unknown field ")
	if !ok {
		return "", false
	}
	if u, err := strconv.Unquote(name); err == nil {
		name = u
	}
	return name, true
}

// unknownFieldError is the 422 for a request field the endpoint does not know. It names the
// field and, when one is close, the known field the client probably meant.
func unknownFieldError(name string, known []string) *apiError {
	msg := fmt.Sprintf("unknown field %.60q", name)
	if guess := closest(name, known); guess != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", guess)
	}
	msg += "; this endpoint takes " + strings.Join(known, ", ")
	return &apiError{Status: http.StatusUnprocessableEntity, Code: "VALIDATION_ERROR", Message: msg,
		Details: map[string]any{"field": name, "known_fields": known}}
}

// jsonFields lists the JSON object keys a struct type decodes, embedded structs included.
func jsonFields(t reflect.Type) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch {
		case name == "-":
		case f.Anonymous && name == "":
			out = append(out, jsonFields(f.Type)...)
		case !f.IsExported():
		case name != "":
			out = append(out, name)
		default:
			out = append(out, f.Name)
		}
	}
	return out
}

// closest returns the known name within two edits of name (case-insensitive), or "".
func closest(name string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(name), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of a and b, in bytes (field names are ASCII).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
