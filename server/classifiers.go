package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
)

// Saved classifiers (DESIGN.md §2): named, versioned specs of an account. Versions are
// immutable; a job resolves its reference when it is created and keeps the spec.

type saveClassifierRequest struct {
	Name string `json:"name"`
	specFields
}

// classifierView is the JSON form of one saved version. Mode and threshold are null when
// the classifier leaves them to each request.
type classifierView struct {
	Name         string              `json:"name"`
	Version      string              `json:"version"`
	Ref          string              `json:"ref"`
	CreatedAt    string              `json:"created_at"`
	Labels       []string            `json:"labels"`
	Descriptions map[string]string   `json:"descriptions,omitempty"`
	Examples     map[string][]string `json:"examples,omitempty"`
	TextType     string              `json:"text_type,omitempty"`
	Mode         *string             `json:"mode"`
	Threshold    *float64            `json:"threshold"`
	Model        string              `json:"model,omitempty"`
	Versions     int                 `json:"versions,omitempty"`
	FittedByJob  string              `json:"fitted_by_job,omitempty"`
}

func viewClassifier(c *store.Classifier) classifierView {
	v := classifierView{
		Name:         c.Name,
		Version:      "v" + strconv.Itoa(c.Version),
		Ref:          store.ClassifierRef(c.Name, c.Version),
		CreatedAt:    c.CreatedAt.UTC().Format(time.RFC3339),
		Labels:       c.Spec.Labels,
		Descriptions: c.Spec.Descriptions,
		Examples:     c.Spec.Examples,
		TextType:     c.Spec.TextType,
		Threshold:    c.Spec.Threshold,
		Model:        c.Spec.Model,
	}
	if c.Spec.Mode != "" {
		m := c.Spec.Mode
		v.Mode = &m
	}
	if c.Fit != nil {
		v.FittedByJob = c.Fit.Job
	}
	return v
}

func (s *Server) handleSaveClassifier(c echo.Context) error {
	var req saveClassifierRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if !store.ValidClassifierName(req.Name) {
		return validationError("name", fmt.Sprintf("name must be 1 to %d characters of lowercase letters, digits, '-' and '_'", store.MaxClassifierName))
	}
	if req.Classifier != "" {
		return validationError("classifier", "a saved classifier is made from labels, not from another classifier")
	}
	f := req.specFields
	spec := classify.Spec{
		Labels: f.Labels, Descriptions: f.Descriptions, Examples: f.Examples,
		TextType: f.TextType, Mode: f.Mode, Threshold: f.Threshold, Model: f.Model,
	}
	if spec.TextType == "" {
		spec.TextType = f.SourceType
	}
	// A classifier version keeps the model it resolved (the default, if it names none).
	name, err := classify.ResolveModel(s.clf, spec.Model)
	if err != nil {
		return err
	}
	spec.Model = name
	// Validate a copy with the batch defaults, but store mode and threshold only when the
	// client set them, so that each endpoint's own default still applies otherwise.
	check := spec
	if err := check.Normalize(classify.DefaultBatchThreshold); err != nil {
		return err
	}
	if err := s.checkCompiles(check); err != nil {
		return err
	}
	spec.Labels, spec.Descriptions, spec.Examples, spec.TextType = check.Labels, check.Descriptions, check.Examples, check.TextType
	if f.Threshold != nil {
		spec.Threshold = check.Threshold
	}
	saved, err := s.store.SaveClassifier(c.Request().Context(), account(c), req.Name, spec)
	if err != nil {
		return fmt.Errorf("saving classifier: %w", err)
	}
	return writeJSON(c, http.StatusCreated, viewClassifier(saved))
}

func (s *Server) handleListClassifiers(c echo.Context) error {
	list, err := s.store.Classifiers(c.Request().Context(), account(c))
	if err != nil {
		return fmt.Errorf("listing classifiers: %w", err)
	}
	resp := struct {
		Data []classifierView `json:"data"`
	}{Data: make([]classifierView, 0, len(list))}
	for _, sum := range list {
		v := viewClassifier(sum.Latest)
		v.Versions = sum.Versions
		resp.Data = append(resp.Data, v)
	}
	return writeJSON(c, http.StatusOK, resp)
}

// classifierParam is the :name path parameter, unescaped ("tickets%40v2" = "tickets@v2").
func classifierParam(c echo.Context) string {
	p := c.Param("name")
	if u, err := url.PathUnescape(p); err == nil {
		return u
	}
	return p
}

func (s *Server) handleGetClassifier(c echo.Context) error {
	ref := classifierParam(c)
	name, version, ok := store.ParseClassifierRef(ref)
	if !ok {
		return notFound(fmt.Sprintf("saved classifier %q not found", ref))
	}
	cl, err := s.store.Classifier(c.Request().Context(), account(c), name, version)
	if err != nil {
		if errors.Is(err, batch.ErrNotFound) {
			return notFound(fmt.Sprintf("saved classifier %q not found", ref))
		}
		return fmt.Errorf("loading classifier: %w", err)
	}
	return writeJSON(c, http.StatusOK, viewClassifier(cl))
}

func (s *Server) handleDeleteClassifier(c echo.Context) error {
	ref := classifierParam(c)
	name, version, ok := store.ParseClassifierRef(ref)
	if !ok {
		return notFound(fmt.Sprintf("saved classifier %q not found", ref))
	}
	if version != 0 {
		// Versions are immutable and jobs name them; only the whole classifier goes.
		return validationError("name", "versions cannot be deleted one by one: DELETE /v1/classifiers/"+name+" removes every version")
	}
	n, err := s.store.DeleteClassifier(c.Request().Context(), account(c), name)
	if err != nil {
		if errors.Is(err, batch.ErrNotFound) {
			return notFound(fmt.Sprintf("saved classifier %q not found", ref))
		}
		return fmt.Errorf("deleting classifier: %w", err)
	}
	return writeJSON(c, http.StatusOK, map[string]any{"name": name, "deleted": true, "versions": n})
}
