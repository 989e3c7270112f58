package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
)

// apiError is an error whose HTTP form the server has already decided. Handlers return it
// for request problems they detect themselves; mapError turns every other error into one.
type apiError struct {
	Status  int
	Code    string
	Message string
	Details map[string]any
	Err     error // the cause, for logs only
}

func (e *apiError) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *apiError) Unwrap() error { return e.Err }

// errorBody is the wire form of every error (DESIGN.md §2).
type errorBody struct {
	Error   string         `json:"error"`
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func validationError(field, msg string) *apiError {
	return &apiError{Status: http.StatusUnprocessableEntity, Code: "VALIDATION_ERROR", Message: msg,
		Details: map[string]any{"field": field}}
}

func invalidJSON(msg string, details map[string]any, cause error) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "INVALID_JSON", Message: msg, Details: details, Err: cause}
}

func unauthorized(msg string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Code: "INVALID_API_KEY", Message: msg}
}

func forbidden(msg string) *apiError {
	return &apiError{Status: http.StatusForbidden, Code: "FORBIDDEN", Message: msg}
}

func notFound(msg string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: "NOT_FOUND", Message: msg}
}

func conflict(msg string) *apiError {
	return &apiError{Status: http.StatusConflict, Code: "CONFLICT", Message: msg}
}

// mapError is the one place where domain errors become HTTP. Anything it does not
// recognise is a 500 with a generic message; the caller logs the real error.
func mapError(err error) *apiError {
	var ae *apiError
	var ve *classify.ValidationError
	var re *classify.RemoteError
	var mbe *http.MaxBytesError
	var he *echo.HTTPError
	var se *batch.StateError
	var le *batch.ActiveLimitError
	var nd *batch.NotNDJSONError
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.Is(err, syscall.ENOSPC):
		return diskFull()
	case errors.As(err, &se):
		return stateConflict(se)
	case errors.As(err, &le):
		return limitConflict(le)
	case errors.As(err, &nd):
		return &apiError{Status: http.StatusBadRequest, Code: "NOT_NDJSON", Message: nd.Error(),
			Details: map[string]any{"first_line": nd.FirstLine}}
	case errors.As(err, &ve):
		return validationError(ve.Field, ve.Message)
	case errors.As(err, &mbe):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Code: "PAYLOAD_TOO_LARGE",
			Message: fmt.Sprintf("request body exceeds the limit of %d bytes", mbe.Limit)}
	case errors.As(err, &re):
		return remoteError(re)
	case errors.Is(err, classify.ErrModelUnavailable):
		return &apiError{Status: http.StatusServiceUnavailable, Code: "MODEL_UNAVAILABLE", Message: err.Error()}
	case errors.Is(err, store.ErrInvalidKey):
		return unauthorized("invalid API key")
	case errors.Is(err, batch.ErrNotFound):
		return notFound(domainMessage(err, batch.ErrNotFound, "not found"))
	case errors.Is(err, batch.ErrConflict):
		return conflict(domainMessage(err, batch.ErrConflict, "the request conflicts with the current state"))
	case errors.Is(err, batch.ErrInputTooLarge):
		// A compressed input that decompresses past limits.max_input_bytes: the file is
		// the problem, not the appliance (issue 22 #3).
		msg := err.Error()
		if i := strings.Index(msg, batch.ErrInputTooLarge.Error()); i >= 0 {
			msg = msg[i:] // without the server's own wrapping ("read input: ...")
		}
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "INPUT_TOO_LARGE",
			Message: "the job's input cannot be read: " + msg, Details: map[string]any{"setting": "limits.max_input_bytes"}}
	case errors.Is(err, batch.ErrZstdWindow):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "INPUT_TOO_LARGE",
			Message: "the job's input cannot be read: " + batch.ErrZstdWindow.Error()}
	case errors.Is(err, batch.ErrNoInput):
		return &apiError{Status: http.StatusUnprocessableEntity, Code: "NO_INPUT", Message: "no file has been uploaded for this job"}
	case errors.Is(err, blob.ErrAccessDenied):
		return &apiError{Status: http.StatusForbidden, Code: "AccessDenied",
			Message: "access denied: " + domainMessage(err, blob.ErrAccessDenied, "invalid or expired signature")}
	case errors.Is(err, blob.ErrTooLarge):
		return &apiError{Status: http.StatusBadRequest, Code: "EntityTooLarge",
			Message: "the uploaded file exceeds the maximum allowed size"}
	case errors.Is(err, blob.ErrBadUpload):
		return &apiError{Status: http.StatusBadRequest, Code: "BAD_UPLOAD",
			Message: "bad upload: " + domainMessage(err, blob.ErrBadUpload, "malformed multipart form")}
	case errors.Is(err, blob.ErrNotExist):
		return notFound("object not found")
	case errors.Is(err, errors.ErrUnsupported):
		// Something this mode of the appliance does not offer (a backup in cluster mode).
		return &apiError{Status: http.StatusNotImplemented, Code: "NOT_IMPLEMENTED", Message: err.Error()}
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this answer, but the log should not call it a 500.
		return &apiError{Status: 499, Code: "CLIENT_CLOSED_REQUEST", Message: "client closed the request"}
	case errors.As(err, &he):
		return mapHTTPError(he)
	}
	return internalError()
}

// stateConflict is the 409 for an operation the job's status does not allow. Its message
// says what the client can do next (issue 14: every 409 says what to do).
func stateConflict(e *batch.StateError) *apiError {
	id, st := e.JobID, e.Status
	job := "/v1/batch/" + id
	var msg string
	switch {
	case e.Op == "review":
		msg = fmt.Sprintf("job %s is %s: reviews, review queues, reruns and their comparison need a completed job (they judge its answers); poll GET %s until its status is completed", id, st, job)
	case e.Op == "delete":
		msg = fmt.Sprintf("job %s is %s and cannot be deleted while it runs: cancel it first: POST %s/cancel, then delete it once its status is failed", id, st, job)
	case e.Op == "upload":
		msg = fmt.Sprintf("job %s has been started, and a started job's input cannot change (a resume must read the same file): create a new job to classify another file", id)
	case st == batch.StatusProcessing && e.Op == "start":
		msg = fmt.Sprintf("job %s is already processing%s: follow it with GET %s; to stop it, POST %s/cancel", id, progress(e), job, job)
	case st == batch.StatusProcessing: // results
		msg = fmt.Sprintf("job %s is still processing%s: poll GET %s until its status is completed, then ask for the results again", id, progress(e), job)
	case st == batch.StatusCompleted && e.Op == "start":
		msg = fmt.Sprintf("job %s has already completed: download its results with GET %s/results; to classify the file again, create a new job", id, job)
	case st == batch.StatusCompleted: // cancel
		msg = fmt.Sprintf("job %s has already completed, so there is nothing to cancel: download its results with GET %s/results", id, job)
	case st == batch.StatusFailed && e.Op == "results":
		msg = fmt.Sprintf("job %s failed (%s), so it has no results: POST %s/start resumes it where it stopped", id, failure(e), job)
	case st == batch.StatusFailed: // cancel
		msg = fmt.Sprintf("job %s has already stopped (%s), so there is nothing to cancel: POST %s/start resumes it, DELETE %s removes it", id, failure(e), job, job)
	case st == batch.StatusPending && e.Op == "results":
		msg = fmt.Sprintf("job %s has not been started: upload its input, then POST %s/start; its results are available once it has completed", id, job)
	case st == batch.StatusPending: // cancel
		msg = fmt.Sprintf("job %s is pending and has not started, so there is nothing to cancel: DELETE %s removes it", id, job)
	default:
		msg = fmt.Sprintf("job %s is %s", id, st)
	}
	details := map[string]any{"job_id": id, "status": st}
	if e.JobError != "" && st == batch.StatusFailed {
		details["job_error"] = e.JobError
	}
	return &apiError{Status: http.StatusConflict, Code: "CONFLICT", Message: msg, Details: details}
}

func progress(e *batch.StateError) string {
	if e.Total <= 0 {
		return ""
	}
	return fmt.Sprintf(" (%d of %d lines done)", e.Done, e.Total)
}

func failure(e *batch.StateError) string {
	switch e.JobError {
	case "":
		return "failed"
	case batch.ErrCancelled.Error():
		return "it was cancelled"
	}
	return "error: " + e.JobError
}

// limitConflict is the 409 for a start over limits.max_active_jobs_per_account: it names
// the jobs in the way and the setting.
func limitConflict(e *batch.ActiveLimitError) *apiError {
	first := ""
	if len(e.Active) > 0 {
		first = e.Active[0]
	}
	msg := fmt.Sprintf("this account already has %d job(s) processing (%s), and limits.max_active_jobs_per_account allows %d at a time: "+
		"wait for it to complete or cancel it with POST /v1/batch/%s/cancel, then start this job (an operator can raise the limit in the config)",
		len(e.Active), strings.Join(e.Active, ", "), e.Limit, first)
	return &apiError{Status: http.StatusConflict, Code: "CONFLICT", Message: msg,
		Details: map[string]any{"active_jobs": e.Active, "max_active_jobs_per_account": e.Limit}}
}

// remoteError is the answer for a model server that failed: the gateway statuses, by what
// went wrong. Its message names the model and the failure, never the server's URL.
func remoteError(re *classify.RemoteError) *apiError {
	details := map[string]any{"model": re.Model, "failure": re.Kind}
	switch re.Kind {
	case classify.RemoteTimeout:
		return &apiError{Status: http.StatusGatewayTimeout, Code: "MODEL_TIMEOUT", Message: re.Error(), Details: details}
	case classify.RemoteUnreachable, classify.RemoteOverloaded:
		return &apiError{Status: http.StatusServiceUnavailable, Code: "MODEL_UNAVAILABLE", Message: re.Error(), Details: details}
	}
	return &apiError{Status: http.StatusBadGateway, Code: "MODEL_ERROR", Message: re.Error(), Details: details}
}

// diskFull is the 507 for a write the disk had no room for (issue 22): the client can
// retry once an operator has freed space; the log has the path.
func diskFull() *apiError {
	return &apiError{Status: http.StatusInsufficientStorage, Code: "INSUFFICIENT_STORAGE",
		Message: "the server's disk is full; retry once an operator has freed space"}
}

func internalError() *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "INTERNAL_ERROR",
		Message: "internal server error; see the server log for this request id"}
}

func mapHTTPError(he *echo.HTTPError) *apiError {
	switch he.Code {
	case http.StatusNotFound:
		return notFound("no such route")
	case http.StatusMethodNotAllowed:
		return &apiError{Status: he.Code, Code: "METHOD_NOT_ALLOWED", Message: "method not allowed for this route"}
	case http.StatusRequestEntityTooLarge:
		return &apiError{Status: he.Code, Code: "PAYLOAD_TOO_LARGE", Message: "request body too large"}
	case http.StatusUnauthorized:
		return unauthorized("missing or invalid API key")
	}
	if he.Code >= 500 || he.Code < 400 {
		return internalError()
	}
	msg, _ := he.Message.(string)
	if msg == "" {
		msg = http.StatusText(he.Code)
	}
	return &apiError{Status: he.Code, Code: strings.ToUpper(strings.ReplaceAll(http.StatusText(he.Code), " ", "_")), Message: msg}
}

// domainMessage returns the human part of an error that wraps sentinel: packages write
// either "<why>: <sentinel>" or "<sentinel>: <why>", and clients want only <why>.
func domainMessage(err, sentinel error, fallback string) string {
	msg := err.Error()
	s := sentinel.Error()
	msg = strings.TrimPrefix(msg, s+": ")
	msg = strings.TrimSuffix(msg, ": "+s)
	if msg == "" || msg == s {
		return fallback
	}
	return msg
}

// slug turns a code into the "error" field: VALIDATION_ERROR -> validation-error,
// AccessDenied -> access-denied.
func slug(code string) string {
	if strings.Contains(code, "_") || strings.ToUpper(code) == code {
		return strings.ReplaceAll(strings.ToLower(code), "_", "-")
	}
	var b strings.Builder
	for i, r := range code {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// handleError is echo's HTTPErrorHandler: it writes the error body for every failed
// request, and logs server-side failures with the request id (never their detail to clients).
func (s *Server) handleError(err error, c echo.Context) {
	ae := mapError(err)
	if ae.Status >= http.StatusInternalServerError {
		s.log.ErrorContext(c.Request().Context(), "request failed",
			"request_id", requestID(c), "method", c.Request().Method, "route", c.Path(), "err", err)
	}
	if c.Response().Committed {
		// Part of the answer is already on the wire; all that is left is the log.
		if ae.Status < http.StatusInternalServerError {
			s.log.WarnContext(c.Request().Context(), "error after response was committed",
				"request_id", requestID(c), "route", c.Path(), "err", err)
		}
		return
	}
	if ae.Status == http.StatusUnauthorized {
		c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="classer-batch"`)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	body := errorBody{Error: slug(ae.Code), Code: ae.Code, Message: ae.Message, Details: ae.Details}
	if werr := writeJSON(c, ae.Status, body); werr != nil {
		s.log.DebugContext(c.Request().Context(), "writing error response", "request_id", requestID(c), "err", werr)
	}
}

// writeJSON writes v without HTML escaping, so signed URLs keep a readable "&".
func writeJSON(c echo.Context, status int, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encoding response: %w", err)
	}
	return c.Blob(status, echo.MIMEApplicationJSON, buf.Bytes())
}
