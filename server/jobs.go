package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/classify"
)

// Batch jobs (DESIGN.md §2 items 1-7).

const (
	defaultListLimit = 20
	maxListLimit     = 100
)

// jobView is the one JSON form of a job, shared by every endpoint that shows one.
type jobView struct {
	JobID             string       `json:"job_id"`
	Status            batch.Status `json:"status"`
	Mode              string       `json:"mode"`
	RequestsTotal     int64        `json:"requests_total"`
	RequestsCompleted int64        `json:"requests_completed"`
	RequestsFailed    int64        `json:"requests_failed"`
	EstimatedTokens   int64        `json:"estimated_tokens"`
	Classifier        *string      `json:"classifier"` // "name@vN" when created from a saved classifier
	ActualTokens      *int64       `json:"actual_tokens"`
	CreatedAt         *string      `json:"created_at"`
	StartedAt         *string      `json:"started_at"`
	CompletedAt       *string      `json:"completed_at"`
	Error             *string      `json:"error"`

	// Issue 12: the user's name and metadata, the uploaded file, and the resolved spec.
	Name          string            `json:"name"`
	Metadata      map[string]string `json:"metadata"`
	InputFilename string            `json:"input_filename"`
	InputBytes    int64             `json:"input_bytes"`
	Spec          specView          `json:"spec"`

	// HasInput says whether the job's input file is in storage: for a pending job the
	// store is asked (viewJobs), since an upload to S3 never passes the appliance; a
	// started job had its input when it started.
	HasInput bool `json:"has_input"`

	// Issue 26: the reviews of a completed job (null: none), and the job a rerun reruns.
	Review  *reviewSummary `json:"review"`
	RerunOf *string        `json:"rerun_of"`
}

// specView is a job's resolved spec as the API shows it, with the words the classifier
// read labels without a description as (classify.Expansions).
type specView struct {
	Labels          []string            `json:"labels"`
	Descriptions    map[string]string   `json:"descriptions"`
	Examples        map[string][]string `json:"examples"`
	Mode            string              `json:"mode"`
	Threshold       *float64            `json:"threshold"`
	TextType        string              `json:"text_type"`
	Classifier      string              `json:"classifier"`
	Model           string              `json:"model"`
	LabelExpansions map[string][]string `json:"label_expansions,omitempty"`
}

func viewJob(j *batch.Job) jobView {
	v := jobView{
		JobID:             j.ID,
		Status:            j.Status,
		Mode:              j.Spec.Mode,
		RequestsTotal:     j.RequestsTotal,
		RequestsCompleted: j.Checkpoint.Completed,
		RequestsFailed:    j.Checkpoint.Failed,
		EstimatedTokens:   j.EstimatedTokens,
		CreatedAt:         timeOrNull(j.CreatedAt),
		StartedAt:         timeOrNull(j.StartedAt),
		CompletedAt:       timeOrNull(j.CompletedAt),
		Name:              j.Name,
		Metadata:          j.Metadata,
		InputFilename:     j.InputFilename,
		InputBytes:        j.InputBytes,
		HasInput:          j.Status != batch.StatusPending,
		Spec: specView{
			Labels:          j.Spec.Labels,
			Descriptions:    j.Spec.Descriptions,
			Examples:        j.Spec.Examples,
			Mode:            j.Spec.Mode,
			Threshold:       j.Spec.Threshold,
			TextType:        j.Spec.TextType,
			Classifier:      j.Classifier,
			Model:           j.Spec.Model,
			LabelExpansions: classify.Expansions(j.Spec),
		},
	}
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	if v.Spec.Descriptions == nil {
		v.Spec.Descriptions = map[string]string{}
	}
	if v.Spec.Examples == nil {
		v.Spec.Examples = map[string][]string{}
	}
	if j.Status == batch.StatusCompleted {
		t := j.Checkpoint.Tokens
		v.ActualTokens = &t
	}
	if j.Error != "" {
		e := j.Error
		v.Error = &e
	}
	if j.Classifier != "" {
		c := j.Classifier
		v.Classifier = &c
	}
	if j.RerunOf != "" {
		r := j.RerunOf
		v.RerunOf = &r
	}
	return v
}

func timeOrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// job loads the account's job named by the :id path parameter; unknown and foreign jobs
// are both 404 so that job ids of other accounts cannot be probed.
func (s *Server) job(c echo.Context) (*batch.Job, error) {
	id := c.Param("id")
	j, err := s.store.Job(c.Request().Context(), account(c), id)
	if err != nil {
		return nil, jobErr(id, err)
	}
	return j, nil
}

// jobErr gives store errors about job id a message naming the job.
func jobErr(id string, err error) error {
	if errors.Is(err, batch.ErrNotFound) {
		return notFound(fmt.Sprintf("batch job %q not found", id))
	}
	return err
}

type createJobRequest struct {
	specFields
	Name     string            `json:"name"`
	Metadata map[string]string `json:"metadata"`
}

// Limits of a job's name and metadata (issue 12).
const (
	maxJobName       = 100
	maxMetadataKeys  = 16
	maxMetadataKey   = 64
	maxMetadataValue = 512
)

// checkJobInfo validates a job's name and metadata (422 naming the field).
func checkJobInfo(name string, metadata map[string]string) error {
	if n := utf8.RuneCountInString(name); n > maxJobName {
		return validationError("name", fmt.Sprintf("name is %d characters, over the limit of %d", n, maxJobName))
	}
	if len(metadata) > maxMetadataKeys {
		return validationError("metadata", fmt.Sprintf("metadata has %d keys, over the limit of %d", len(metadata), maxMetadataKeys))
	}
	for _, k := range slices.Sorted(maps.Keys(metadata)) {
		switch n := utf8.RuneCountInString(k); {
		case n == 0:
			return validationError("metadata", "metadata keys must not be empty")
		case n > maxMetadataKey:
			return validationError("metadata", fmt.Sprintf("metadata key %.40q is %d characters, over the limit of %d", k, n, maxMetadataKey))
		}
		if n := utf8.RuneCountInString(metadata[k]); n > maxMetadataValue {
			return validationError("metadata", fmt.Sprintf("metadata[%.40q] is %d characters, over the limit of %d", k, n, maxMetadataValue))
		}
	}
	return nil
}

type createJobResponse struct {
	JobID        string            `json:"job_id"`
	Status       batch.Status      `json:"status"`
	UploadURL    string            `json:"upload_url"`
	UploadFields map[string]string `json:"upload_fields"`
	InputKey     string            `json:"input_key"`
	ExpiresAt    string            `json:"expires_at"`
}

func (s *Server) handleCreateJob(c echo.Context) error {
	ctx := c.Request().Context()
	var req createJobRequest
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	spec, ref, err := s.resolveSpec(ctx, account(c), req.specFields, jobOpts)
	if err != nil {
		return err
	}
	if err := checkJobInfo(req.Name, req.Metadata); err != nil {
		return err
	}
	if err := s.checkCompiles(spec); err != nil {
		return err
	}
	now := s.now()
	id := batch.NewJobID()
	j := &batch.Job{
		ID:         id,
		Account:    account(c),
		Spec:       spec,
		Classifier: ref,
		Name:       req.Name,
		Metadata:   req.Metadata,
		Status:     batch.StatusPending,
		InputKey:   batch.InputKey(id),
		OutputKey:  batch.OutputKey(id),
		CreatedAt:  now,
	}
	// Presign first: a failure then leaves no job behind that nobody can upload to.
	url, fields, err := s.blobs.PresignUpload(ctx, j.InputKey, s.cfg.MaxUploadBytes, s.cfg.UploadTTL)
	if err != nil {
		return fmt.Errorf("presigning upload for %s: %w", id, err)
	}
	if err := s.store.CreateJob(ctx, j); err != nil {
		return fmt.Errorf("creating job: %w", err)
	}
	return writeJSON(c, http.StatusCreated, createJobResponse{
		JobID:        id,
		Status:       j.Status,
		UploadURL:    url,
		UploadFields: fields,
		InputKey:     j.InputKey,
		ExpiresAt:    now.Add(s.cfg.UploadTTL).Format(time.RFC3339),
	})
}

type listJobsResponse struct {
	Data      []jobView `json:"data"`
	HasMore   bool      `json:"has_more"`
	NextAfter *string   `json:"next_after"`
}

func (s *Server) handleListJobs(c echo.Context) error {
	limit := defaultListLimit
	if q := c.QueryParam("limit"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > maxListLimit {
			return validationError("limit", fmt.Sprintf("limit must be an integer from 1 to %d", maxListLimit))
		}
		limit = n
	}
	after := c.QueryParam("after")
	status := batch.Status(c.QueryParam("status"))
	switch status {
	case "", batch.StatusPending, batch.StatusProcessing, batch.StatusCompleted, batch.StatusFailed:
	default:
		return validationError("status", fmt.Sprintf("status must be pending, processing, completed or failed, got %.40q", status))
	}
	// One extra row tells whether another page exists without a count query.
	jobs, err := s.store.Jobs(c.Request().Context(), account(c), after, status, limit+1)
	if err != nil {
		if errors.Is(err, batch.ErrNotFound) {
			return validationError("after", fmt.Sprintf("after: batch job %q not found", after))
		}
		return fmt.Errorf("listing jobs: %w", err)
	}
	resp := listJobsResponse{Data: make([]jobView, 0, min(len(jobs), limit))}
	if len(jobs) > limit {
		jobs = jobs[:limit]
		resp.HasMore = true
		last := jobs[len(jobs)-1].ID
		resp.NextAfter = &last
	}
	resp.Data = append(resp.Data, s.viewJobs(c.Request().Context(), jobs...)...)
	return writeJSON(c, http.StatusOK, resp)
}

func (s *Server) handleGetJob(c echo.Context) error {
	j, err := s.job(c)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, s.viewJobs(c.Request().Context(), j)[0])
}

func (s *Server) handleStartJob(c echo.Context) error {
	ctx := c.Request().Context()
	j, err := s.job(c)
	if err != nil {
		return err
	}
	// Under the upload guard, so an upload admitted before this start cannot
	// replace the input while the pipeline reads it.
	s.uploads.mu.Lock()
	defer s.uploads.mu.Unlock()
	if s.uploads.active[j.ID] {
		return conflict("an upload of this job's input is in progress; start the job when it has finished")
	}
	size, err := s.blobs.Stat(ctx, j.InputKey)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, blob.ErrNotExist) {
			return batch.ErrNoInput
		}
		return fmt.Errorf("stat input of %s: %w", j.ID, err)
	}
	if size == 0 {
		// A local upload refuses an empty file; one sent straight to the bucket (S3) is
		// only seen here.
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "EMPTY_INPUT",
			Message: fmt.Sprintf("job %s's input file is empty (0 bytes): upload a file with one JSON object per line, then start the job", j.ID),
			Details: map[string]any{"job_id": j.ID, "input_bytes": 0}}
	}
	id := j.ID
	j, err = s.store.StartJob(ctx, account(c), id, s.cfg.MaxActiveJobsPerAccount, s.now())
	if err != nil {
		return jobErr(id, err)
	}
	s.runner.Run(j.ID)
	return writeJSON(c, http.StatusAccepted, map[string]any{"job_id": j.ID, "status": j.Status})
}

func (s *Server) handleCancelJob(c echo.Context) error {
	j, err := s.job(c)
	if err != nil {
		return err
	}
	if j.Status != batch.StatusProcessing {
		return batch.NewStateError(j, "cancel")
	}
	if err := s.runner.Cancel(c.Request().Context(), j.ID); err != nil {
		return jobErr(j.ID, err)
	}
	return writeJSON(c, http.StatusAccepted, map[string]any{
		"job_id": j.ID, "status": batch.StatusProcessing, "cancel_requested": true,
	})
}

func (s *Server) handleJobResults(c echo.Context) error {
	j, err := s.job(c)
	if err != nil {
		return err
	}
	if j.Status != batch.StatusCompleted {
		return batch.NewStateError(j, "results")
	}
	// A URL for an object that is not there would fail only when the client follows it,
	// far from the cause (the storage was switched, or the object deleted by hand).
	if _, err := s.blobs.Stat(c.Request().Context(), j.OutputKey); err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, blob.ErrNotExist) {
			return &apiError{Status: http.StatusGone, Code: "RESULTS_GONE",
				Message: fmt.Sprintf("job %s completed, but its results are no longer in storage (was the storage switched, or the object deleted?); "+
					"restore the object %q from a backup of the storage, or create a new job for the input", j.ID, j.OutputKey),
				Details: map[string]any{"job_id": j.ID, "key": j.OutputKey}}
		}
		return fmt.Errorf("stat results of %s: %w", j.ID, err)
	}
	now := s.now()
	url, err := s.blobs.PresignDownload(c.Request().Context(), j.OutputKey, j.ID+".ndjson", s.cfg.DownloadTTL)
	if err != nil {
		return fmt.Errorf("presigning download for %s: %w", j.ID, err)
	}
	return writeJSON(c, http.StatusOK, map[string]any{
		"job_id": j.ID, "download_url": url, "expires_at": now.Add(s.cfg.DownloadTTL).Format(time.RFC3339),
	})
}

func (s *Server) handleDeleteJob(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	j, err := s.store.DeleteJob(ctx, account(c), id)
	if err != nil {
		return jobErr(id, err)
	}
	// The record is gone first so that nothing can start the job while its objects go;
	// if removing them fails, the error is logged with the job id for the operator.
	if err := s.blobs.Delete(ctx, batch.JobPrefix(j.ID)); err != nil {
		return fmt.Errorf("deleting objects of deleted job %s: %w", j.ID, err)
	}
	return writeJSON(c, http.StatusOK, map[string]any{"job_id": j.ID, "deleted": true})
}

// Local blob endpoints: signed URLs that point back at the appliance.

// handleBlobUpload receives a local upload. Until the upload is authorised (signature,
// expiry, a pending job) the connection keeps the server's short read and write timeouts
// and the form is read through a small buffer: a client without a signed URL holds little
// and not for long (issue 22).
func (s *Server) handleBlobUpload(c echo.Context) error {
	ctx := c.Request().Context()
	// A signed URL is checked, and its job looked up, before a byte of the body is read.
	if key, err := s.local.CheckUploadURL(c.Request()); err != nil {
		return err
	} else if key != "" {
		if err := s.allowUpload(ctx, key); err != nil {
			return err
		}
	}
	admitted := ""
	defer func() {
		if admitted != "" {
			s.uploads.mu.Lock()
			delete(s.uploads.active, admitted)
			s.uploads.mu.Unlock()
		}
	}()
	var counted func(context.Context) error
	allow := func(ctx context.Context, key, filename string) (io.Writer, error) {
		s.uploads.mu.Lock()
		defer s.uploads.mu.Unlock()
		if err := s.allowUpload(ctx, key); err != nil {
			return nil, err
		}
		id, _ := jobIDFromInputKey(key)
		// One upload of a job at a time: the line count taken on the way is recorded
		// for the job, and two uploads racing could record one's count for the
		// other's bytes.
		if s.uploads.active[id] {
			return nil, conflict("an upload of this job's input is already in progress; wait for it to finish")
		}
		w, done, err := s.runner.CountUpload(ctx, id, filename)
		if err != nil {
			return nil, fmt.Errorf("preparing the upload of job %s: %w", id, err)
		}
		admitted, counted = id, done
		s.uploads.active[id] = true
		s.extendDeadlines(c)
		// A file that plainly is not NDJSON (an array, a CSV, a binary file) is refused
		// now, saying what it starts with, rather than failing line by line at start.
		return batch.CheckNDJSON(w), nil
	}
	_, n, err := s.local.ReceiveUpload(ctx, c.Request(), allow)
	if err != nil {
		return err
	}
	s.metrics.uploadBytes.Add(float64(n))
	// The file is stored; the count only saves the start a pass over it, so failing to
	// record it is logged, not answered: the job is counted at start instead.
	if counted != nil {
		if err := counted(context.WithoutCancel(ctx)); err != nil {
			s.log.Warn("input uploaded but not counted; it will be counted at start", "job_id", admitted, "err", err)
		}
	}
	return c.NoContent(http.StatusNoContent)
}

// allowUpload admits an upload to key only for an existing job's input that has never
// been started: once the pipeline reads the input, replacing it would corrupt the job.
func (s *Server) allowUpload(ctx context.Context, key string) error {
	id, ok := jobIDFromInputKey(key)
	if !ok {
		return fmt.Errorf("%w: key %q is not a job input", blob.ErrAccessDenied, key)
	}
	j, err := s.store.Job(ctx, "", id)
	if err != nil {
		if errors.Is(err, batch.ErrNotFound) {
			return fmt.Errorf("%w: no job for key %q", blob.ErrAccessDenied, key)
		}
		return fmt.Errorf("looking up job for upload: %w", err)
	}
	if j.InputKey != key {
		return fmt.Errorf("%w: key %q is not the input of job %s", blob.ErrAccessDenied, key, id)
	}
	if !j.StartedAt.IsZero() {
		return batch.NewStateError(j, "upload")
	}
	return nil
}

// uploadGuard pairs "not started" with "no upload in progress": an upload is
// admitted and counted, and a start is decided, under one mutex (local storage;
// S3 uploads never pass through the appliance).
type uploadGuard struct {
	mu     sync.Mutex
	active map[string]bool // job ids with an upload in progress (at most one each)
}

// jobIDFromInputKey parses "jobs/<id>/input.ndjson".
func jobIDFromInputKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, "jobs/")
	if !ok {
		return "", false
	}
	id, ok := strings.CutSuffix(rest, "/input.ndjson")
	if !ok || id == "" || strings.Contains(id, "/") {
		return "", false
	}
	return id, true
}

// handleBlobDownload serves a local download. Only a signed URL gets the long transfer
// deadlines: an unsigned request keeps the server's short ones, so it cannot hold a
// connection open by sending a slow body (issue 22).
func (s *Server) handleBlobDownload(c echo.Context) error {
	if err := s.local.CheckDownloadURL(c.Request()); err != nil {
		return err
	}
	s.extendDeadlines(c)
	return s.local.ServeDownload(c.Response(), c.Request())
}

// extendDeadlines replaces the server's short API read/write timeouts with the
// transfer timeout for a file upload or download: a 5 GB body takes minutes, while
// slow-loris clients on API routes are still cut off quickly.
func (s *Server) extendDeadlines(c echo.Context) {
	rc := http.NewResponseController(c.Response().Writer)
	deadline := s.now().Add(s.cfg.TransferTimeout)
	// Errors mean the connection does not support deadlines (e.g. in httptest
	// recorders); the server-wide timeouts then still apply.
	_ = rc.SetReadDeadline(deadline)
	_ = rc.SetWriteDeadline(deadline)
}

// Health.

func (s *Server) handleHealthz(c echo.Context) error {
	return writeJSON(c, http.StatusOK, map[string]string{"status": "ok"})
}

// checkCompiles rejects, at creation time, a spec the classifier cannot use rather than
// when the job starts; the compiled model is cached for the real-time endpoints too. A
// remote model that does not answer now is no reason to refuse the spec: the job waits or
// fails when it runs (issue 13).
func (s *Server) checkCompiles(spec classify.Spec) error {
	_, _, err := s.model(context.Background(), spec, nil)
	var re *classify.RemoteError
	if errors.As(err, &re) {
		s.log.Warn("model server unreachable while checking a spec", "model", spec.Model, "err", err)
		return nil
	}
	return err
}

// handleModels lists the configured models (issue 13): kind, readiness, dimensions, and
// why a model is not ready.
func (s *Server) handleModels(c echo.Context) error {
	return writeJSON(c, http.StatusOK, map[string]any{"models": s.modelInfos(c.Request().Context())})
}

// modelInfos describes the configured models; a classifier without a registry is the
// built-in model alone.
func (s *Server) modelInfos(ctx context.Context) []classify.ModelInfo {
	l, ok := s.clf.(interface {
		Infos(ctx context.Context) []classify.ModelInfo
	})
	if !ok {
		return []classify.ModelInfo{{Name: classify.KindBuiltin, Kind: classify.KindBuiltin, Default: true, Ready: true}}
	}
	return l.Infos(ctx)
}

// handleReadyz checks the database and the object storage. The failing component is
// named; its error goes to the log, not to an unauthenticated client. Configured models
// that cannot be loaded or reached are listed under "models_not_ready" without making the
// appliance unready: only the jobs that use them wait or fail.
func (s *Server) handleReadyz(c echo.Context) error {
	ctx := c.Request().Context()
	checks := []struct {
		name string
		ping func(context.Context) error
	}{{"store", s.store.Ping}, {"blobs", s.blobs.Ping}}
	for _, ch := range checks {
		if err := ch.ping(ctx); err != nil {
			// handleError logs the cause with the request id.
			ae := &apiError{Status: http.StatusServiceUnavailable, Code: "NOT_READY",
				Message: ch.name + " is not ready", Details: map[string]any{"check": ch.name}, Err: err}
			if errors.Is(err, syscall.ENOSPC) {
				ae.Message += ": the server's disk is full"
				ae.Details["reason"] = "disk_full"
			}
			return ae
		}
	}
	resp := map[string]any{"status": "ready"}
	if l, ok := s.clf.(interface {
		Infos(ctx context.Context) []classify.ModelInfo
	}); ok {
		var down []string
		for _, m := range l.Infos(ctx) {
			if !m.Ready {
				down = append(down, m.Name)
			}
		}
		if len(down) > 0 {
			resp["models_not_ready"] = down
		}
	}
	return writeJSON(c, http.StatusOK, resp)
}
