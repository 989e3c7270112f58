package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
)

// The preview loop (issue 12): see what a spec does on a job's own sample, change the
// pending job's spec (PATCH), see again, then start; and read a job's lines page by page.

// specPatch is a set of spec fields to change: only the fields present in the body count
// (a PATCH, or a preview's trial spec on top of the job's).
type specPatch struct {
	Labels       []string             `json:"labels"`
	Descriptions *map[string]string   `json:"descriptions"`
	Examples     *map[string][]string `json:"examples"`
	TextType     *string              `json:"text_type"`
	SourceType   *string              `json:"source_type"` // alias of text_type
	Mode         *string              `json:"mode"`
	Threshold    *float64             `json:"threshold"`
	Classifier   *string              `json:"classifier"`
	Model        *string              `json:"model"`
}

func (p specPatch) empty() bool {
	return p.Labels == nil && p.Descriptions == nil && p.Examples == nil && p.TextType == nil &&
		p.SourceType == nil && p.Mode == nil && p.Threshold == nil && p.Classifier == nil && p.Model == nil
}

// apply resolves the job's spec with the patch on top: a field given replaces the job's
// (labels whole; descriptions and examples whole, or, with new labels only, kept for the
// labels that remain); a classifier reference replaces labels, descriptions and examples.
// It returns the validated spec and the saved-classifier reference it came from.
func (s *Server) apply(ctx context.Context, account string, j *batch.Job, p specPatch) (classify.Spec, string, error) {
	f := specFields{
		Labels:       j.Spec.Labels,
		Descriptions: j.Spec.Descriptions,
		Examples:     j.Spec.Examples,
		TextType:     j.Spec.TextType,
		Mode:         j.Spec.Mode,
		Threshold:    j.Spec.Threshold,
		Model:        j.Spec.Model,
	}
	if p.Classifier != nil && *p.Classifier != "" {
		f.Classifier, f.Labels, f.Descriptions, f.Examples = *p.Classifier, nil, nil, nil
	}
	if p.Labels != nil {
		if f.Classifier != "" {
			return classify.Spec{}, "", validationError("classifier", "send either labels or classifier, not both")
		}
		keep := map[string]bool{}
		for _, l := range p.Labels {
			keep[l] = true
		}
		f.Labels = p.Labels
		f.Descriptions = keepKeys(f.Descriptions, keep)
		f.Examples = keepKeys(f.Examples, keep)
	}
	if p.Descriptions != nil {
		f.Descriptions = *p.Descriptions
	}
	if p.Examples != nil {
		f.Examples = *p.Examples
	}
	if p.SourceType != nil {
		f.TextType = *p.SourceType
	}
	if p.TextType != nil {
		f.TextType = *p.TextType
	}
	if p.Mode != nil {
		f.Mode = *p.Mode
	}
	if p.Threshold != nil {
		f.Threshold = p.Threshold
	}
	if p.Model != nil {
		f.Model = *p.Model
	}
	spec, ref, err := s.resolveSpec(ctx, account, f, jobOpts)
	if err != nil {
		return classify.Spec{}, "", err
	}
	// The classifier must be able to compile it (as at creation).
	if err := s.checkCompiles(spec); err != nil {
		return classify.Spec{}, "", err
	}
	return spec, ref, nil
}

func keepKeys[V any](m map[string]V, keep map[string]bool) map[string]V {
	if m == nil {
		return nil
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		if keep[k] {
			out[k] = v
		}
	}
	return out
}

type patchJobRequest struct {
	specPatch
	Name     *string            `json:"name"`
	Metadata *map[string]string `json:"metadata"`
}

// handlePatchJob changes a job's name and metadata at any time and its spec while it is
// pending and has never started (batch.Job.SetSpec); the job fits again for a new spec when
// it starts.
func (s *Server) handlePatchJob(c echo.Context) error {
	ctx := c.Request().Context()
	j, err := s.job(c)
	if err != nil {
		return err
	}
	var req patchJobRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	name, metadata := j.Name, j.Metadata
	if req.Name != nil {
		name = *req.Name
	}
	if req.Metadata != nil {
		metadata = *req.Metadata
	}
	if err := checkJobInfo(name, metadata); err != nil {
		return err
	}
	var spec classify.Spec
	var ref string
	if !req.specPatch.empty() {
		if spec, ref, err = s.apply(ctx, account(c), j, req.specPatch); err != nil {
			return err
		}
		// A spec change waits for no upload: the count taken on the way in fits the job
		// for the spec it started with (the upload guard, as for start).
		s.uploads.mu.Lock()
		defer s.uploads.mu.Unlock()
		if s.uploads.active[j.ID] {
			return conflict("an upload of this job's input is in progress; change the spec when it has finished")
		}
	}
	acct := account(c)
	j, err = s.store.UpdateJob(ctx, j.ID, func(job *batch.Job) error {
		if job.Account != acct {
			return fmt.Errorf("%w: batch job %q", batch.ErrNotFound, job.ID)
		}
		if !req.specPatch.empty() {
			if err := job.SetSpec(spec, ref); err != nil {
				return err
			}
		}
		job.Name, job.Metadata = name, metadata
		return nil
	})
	if err != nil {
		return jobErr(c.Param("id"), err)
	}
	return writeJSON(c, http.StatusOK, s.viewJobs(c.Request().Context(), j)[0])
}

// handlePreviewJob previews the job's spec, or a trial spec on top of it (nothing is
// saved), on the job's own sample with the fit the job would make.
func (s *Server) handlePreviewJob(c echo.Context) error {
	ctx := c.Request().Context()
	j, err := s.job(c)
	if err != nil {
		return err
	}
	var p specPatch
	if c.Request().ContentLength != 0 {
		if err := s.decodeJSON(c, &p); err != nil {
			return err
		}
	}
	spec := j.Spec
	if !p.empty() {
		if spec, _, err = s.apply(ctx, account(c), j, p); err != nil {
			return err
		}
	}
	// Counting an input not counted yet (S3, compressed) must not race its upload.
	s.uploads.mu.Lock()
	uploading := s.uploads.active[j.ID]
	s.uploads.mu.Unlock()
	if uploading {
		return conflict("an upload of this job's input is in progress; preview when it has finished")
	}
	pv, err := s.runner.Preview(ctx, j, spec)
	if err != nil {
		return previewErr(err)
	}
	return writeJSON(c, http.StatusOK, pv)
}

type previewRequest struct {
	specFields
	Texts []string `json:"texts"`
}

// handlePreview previews a spec on the given texts as if they were a batch job's sample.
func (s *Server) handlePreview(c echo.Context) error {
	ctx := c.Request().Context()
	var req previewRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	spec, _, err := s.resolveSpec(ctx, account(c), req.specFields, jobOpts)
	if err != nil {
		return err
	}
	if len(req.Texts) == 0 || len(req.Texts) > MaxBatchTexts {
		return validationError("texts", fmt.Sprintf("texts must hold 1 to %d texts, got %d", MaxBatchTexts, len(req.Texts)))
	}
	sample := make([]classify.SampleText, 0, len(req.Texts))
	for i, t := range req.Texts {
		if msg := s.checkText(t); msg != "" {
			return validationError("texts", fmt.Sprintf("texts[%d]: text %s", i, msg))
		}
		sample = append(sample, classify.SampleText{Index: int64(i), Text: t})
	}
	pv, ok := s.clf.(classify.Previewer)
	if !ok {
		return previewErr(errors.ErrUnsupported)
	}
	p, err := pv.Preview(spec, sample)
	if err != nil {
		return previewErr(err)
	}
	return writeJSON(c, http.StatusOK, p)
}

// previewErr maps the errors a preview or a page of lines adds to mapError's.
func previewErr(err error) error {
	switch {
	case errors.Is(err, batch.ErrNoInput):
		return conflict("no file has been uploaded for this job yet: upload it, then preview or read its lines")
	case errors.Is(err, errors.ErrUnsupported):
		return &apiError{Status: http.StatusNotImplemented, Code: "NOT_IMPLEMENTED", Message: "this classifier cannot preview"}
	}
	return err
}

// handleJobLines answers a page of the job's lines with their answers (batch.Runner.Lines).
func (s *Server) handleJobLines(c echo.Context) error {
	j, err := s.job(c)
	if err != nil {
		return err
	}
	q := batch.LinesQuery{Limit: defaultLinesPage, Label: c.QueryParam("label")}
	if v := c.QueryParam("offset"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return validationError("offset", "offset must be a line number, 0 or more")
		}
		q.Offset = n
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > batch.MaxLinesPage {
			return validationError("limit", fmt.Sprintf("limit must be an integer from 1 to %d", batch.MaxLinesPage))
		}
		q.Limit = n
	}
	if v := c.QueryParam("max_confidence"); v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || x < 0 || x > 1 {
			return validationError("max_confidence", "max_confidence must be a number from 0 to 1")
		}
		q.MaxConfidence = &x
	}
	page, err := s.runner.Lines(c.Request().Context(), j, q)
	if err != nil {
		return previewErr(err)
	}
	return writeJSON(c, http.StatusOK, page)
}

// defaultLinesPage is a page of lines without a limit.
const defaultLinesPage = 50
