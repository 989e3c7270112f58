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

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
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
		ref = classifierRef(saved.Name, saved.Version)
	}
	if o.forceMode != "" {
		spec.Mode = o.forceMode
	}
	if err := spec.Normalize(o.defaultThreshold); err != nil {
		return classify.Spec{}, "", err
	}
	// The model a spec names is resolved now (the default when it names none), so a job or
	// a saved classifier keeps the model it was made with.
	if r, ok := s.clf.(modelResolver); ok {
		name, err := r.Resolve(spec.Model)
		if err != nil {
			return classify.Spec{}, "", err
		}
		spec.Model = name
	}
	return spec, ref, nil
}

// modelResolver is a classifier with several models by name (classify.Models).
type modelResolver interface {
	Resolve(name string) (string, error)
}

// savedClassifier resolves a "name" (latest) or "name@vN" reference for the account.
// A malformed or unknown reference is a 422 on the classifier field: the request names a
// spec that does not exist, which is a validation problem of the request, not a missing URL.
func (s *Server) savedClassifier(ctx context.Context, account, ref string) (*store.Classifier, error) {
	name, version, ok := parseClassifierRef(ref)
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
