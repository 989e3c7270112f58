package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/classify"
)

// specFields are the classification-spec fields every endpoint accepts (DESIGN.md §2).
// Request structs embed it; unknown fields are ignored on purpose because clients of the
// hosted API send extra ones.
type specFields struct {
	Labels       []string            `json:"labels"`
	Descriptions map[string]string   `json:"descriptions"`
	Examples     map[string][]string `json:"examples"`
	TextType     string              `json:"text_type"`
	SourceType   string              `json:"source_type"` // alias of text_type
	Mode         string              `json:"mode"`
	Threshold    *float64            `json:"threshold"`
	Classifier   string              `json:"classifier"`
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

// resolveSpec turns the request's spec fields into a validated spec. Errors are
// *apiError or *classify.ValidationError (422).
func (s *Server) resolveSpec(ctx context.Context, account string, f specFields, o specOptions) (classify.Spec, error) {
	spec := classify.Spec{
		Labels:       f.Labels,
		Descriptions: f.Descriptions,
		Examples:     f.Examples,
		TextType:     f.TextType,
		Mode:         f.Mode,
		Threshold:    f.Threshold,
	}
	if spec.TextType == "" {
		spec.TextType = f.SourceType
	}
	if f.Classifier != "" {
		if len(f.Labels) > 0 {
			return classify.Spec{}, validationError("classifier", "send either labels or classifier, not both")
		}
		saved, err := s.savedClassifier(ctx, account, f.Classifier)
		if err != nil {
			return classify.Spec{}, err
		}
		// The saved classifier provides the labels and their prototypes; mode and
		// threshold stay per request.
		spec.Labels, spec.Descriptions, spec.Examples = saved.Labels, saved.Descriptions, saved.Examples
		if spec.TextType == "" {
			spec.TextType = saved.TextType
		}
	}
	if o.forceMode != "" {
		spec.Mode = o.forceMode
	}
	if err := spec.Normalize(o.defaultThreshold); err != nil {
		return classify.Spec{}, err
	}
	return spec, nil
}

// savedClassifier resolves a "name" or "name@vN" reference for the account. It is the one
// hook for saved classifiers (DESIGN.md §2), which are not stored yet: every name is unknown.
func (s *Server) savedClassifier(_ context.Context, _ string, ref string) (classify.Spec, error) {
	return classify.Spec{}, validationError("classifier", fmt.Sprintf("saved classifier %q not found", ref))
}

// decodeJSON decodes the JSON object in the request body into v. The body is bounded by
// MaxBodyBytes (413 PAYLOAD_TOO_LARGE above it); malformed JSON and values of the wrong type
// are 400 INVALID_JSON with a message naming the field or the offset.
func (s *Server) decodeJSON(c echo.Context, v any) error {
	// The underlying writer, not echo's wrapper, lets net/http close the connection
	// instead of draining an oversized body.
	body := http.MaxBytesReader(c.Response().Writer, c.Request().Body, s.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
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
