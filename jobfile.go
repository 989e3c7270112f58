package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/classer-ai/classer-batch/classify"
)

// A job.json is how the offline commands (classify, eval) take a spec: the body of
// POST /v1/batch.

// readJobSpec reads a job.json (the /v1/batch body) and validates its spec with
// the batch defaults.
func readJobSpec(path string) (classify.Spec, error) {
	spec, err := readJobSpecRaw(path)
	if err != nil {
		return classify.Spec{}, err
	}
	if err := spec.Normalize(classify.DefaultBatchThreshold); err != nil {
		return classify.Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}

// readJobSpecRaw reads a job.json without validating it, so eval can add
// examples first. A saved classifier reference needs the server's database.
// A field that POST /v1/batch would refuse as unknown is refused here too, naming it.
func readJobSpecRaw(path string) (classify.Spec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return classify.Spec{}, err
	}
	var body jobFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return classify.Spec{}, fmt.Errorf("%s: unknown field %s; a job.json takes the fields of POST /v1/batch: %s",
				path, name, strings.Join(jobFileFields(), ", "))
		}
		return classify.Spec{}, fmt.Errorf("%s: %w", path, err)
	}
	if body.Classifier != "" {
		return classify.Spec{}, fmt.Errorf("%s: saved classifiers need the server; give labels instead", path)
	}
	spec := body.Spec
	if spec.TextType == "" {
		spec.TextType = body.SourceType
	}
	if spec.Mode == "" {
		spec.Mode = classify.ModeSingle
	}
	return spec, nil
}

// jobFile is a job.json: the body of POST /v1/batch (the spec, model included). Name and
// metadata are accepted so that the same file works with the API.
type jobFile struct {
	classify.Spec
	SourceType string            `json:"source_type"`
	Classifier string            `json:"classifier"`
	Name       string            `json:"name"`
	Metadata   map[string]string `json:"metadata"`
}

// jobFileFields lists the JSON keys of a job.json, for the unknown-field error.
func jobFileFields() []string {
	var out []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			switch {
			case f.Anonymous:
				walk(f.Type)
			case name != "" && name != "-":
				out = append(out, name)
			}
		}
	}
	walk(reflect.TypeFor[jobFile]())
	return out
}
