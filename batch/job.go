// Package batch owns the job domain (statuses, spec, counters) and the bounded worker
// pipeline that turns an uploaded NDJSON input into ordered NDJSON results.
package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/classer-ai/classer-batch/classify"
)

// Status is a job's lifecycle state (DESIGN.md §2).
type Status string

const (
	StatusPending    Status = "pending"
	StatusProcessing Status = "processing"
	StatusCompleted  Status = "completed"
	StatusFailed     Status = "failed"
)

// Domain errors. The server maps them to HTTP in one place.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("conflict")
	ErrNoInput   = errors.New("no input uploaded")
	ErrCancelled = errors.New("cancelled")
)

// Job is a batch job as stored in the database. bbolt is the source of truth.
type Job struct {
	ID        string        `json:"id"`
	Account   string        `json:"account"`
	Spec      classify.Spec `json:"spec"`
	Status    Status        `json:"status"`
	InputKey  string        `json:"input_key"`
	OutputKey string        `json:"output_key"`

	// Classifier is the saved classifier the spec was resolved from ("name@vN"), for
	// display only: Spec is what the job runs, so saving a later version changes nothing.
	Classifier string `json:"classifier,omitempty"`

	// Name and Metadata are the user's, for finding the job again (issue 12).
	Name     string            `json:"name,omitempty"`
	Metadata map[string]string `json:"metadata,omitempty"`
	// InputFilename is the uploaded file's name as the client sent it, for display only.
	InputFilename string `json:"input_filename,omitempty"`
	// RerunOf is the job this one reruns with its reviews as examples (issue 26).
	RerunOf string `json:"rerun_of,omitempty"`

	// Counted is true once the pre-pass has counted RequestsTotal and EstimatedTokens.
	Counted bool `json:"counted"`
	// Fitted is true when the classifier fitted a state on the job's sample (stored
	// at FitKey); every run compiles with it, so a resumed job answers the same.
	Fitted bool `json:"fitted,omitempty"`
	// FitFor is SpecHash of the spec the stored state was fitted for. A spec changed
	// before start (SetSpec) no longer matches it, and the job fits again when it starts.
	FitFor     string `json:"fit_for,omitempty"`
	InputBytes int64  `json:"input_bytes"`
	// InputVersion is the version of the input that the count pass read (S3's ETag;
	// empty on local storage, where the input cannot change after start); every later
	// read is of that version or fails.
	InputVersion    string `json:"input_version,omitempty"`
	RequestsTotal   int64  `json:"requests_total"`
	EstimatedTokens int64  `json:"estimated_tokens"`

	// Node is the cluster node whose runner runs the job (cluster mode; empty on a single
	// node): only that node resumes it after a restart, so two nodes never run one job.
	Node string `json:"node,omitempty"`

	Checkpoint Checkpoint `json:"checkpoint"`
	// Final holds the counters of a finished run between publishing its results
	// and marking the job completed, so a crash in between loses nothing.
	Final *Checkpoint `json:"final,omitempty"`

	CreatedAt   time.Time `json:"created_at"`
	StartedAt   time.Time `json:"started_at,omitzero"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	// FinishedAt is when the job last became completed or failed; retention counts from it.
	FinishedAt time.Time `json:"finished_at,omitzero"`
	Error      string    `json:"error,omitempty"`

	// CancelRequested asks the running pipeline to stop at its next checkpoint.
	CancelRequested bool `json:"cancel_requested,omitempty"`
}

// Checkpoint is the durable progress of a job: everything before InputOffset has been
// classified and its results, OutputOffset bytes, are durable in the partial output.
type Checkpoint struct {
	InputOffset  int64 `json:"input_offset"`
	OutputOffset int64 `json:"output_offset"`
	// Line is the number of input lines consumed (blank ones included), so that
	// error messages keep naming the right 1-based line after a resume.
	Line      int64 `json:"line"`
	Index     int64 `json:"index"` // non-blank lines done = next result index
	Completed int64 `json:"completed"`
	Failed    int64 `json:"failed"`
	Tokens    int64 `json:"tokens"`
}

// SetSpec replaces the spec of a job that has never started (and ref, the saved classifier
// it came from, "" for none); the job fits again for it when it starts. A started job keeps
// its spec, so that a resume gives byte-identical results: ErrConflict.
func (j *Job) SetSpec(spec classify.Spec, ref string) error {
	if j.Status != StatusPending || !j.StartedAt.IsZero() {
		return fmt.Errorf("%w: job %s is %s; a started job keeps its spec so that a resume gives the same results: create a new job with the changed spec instead", ErrConflict, j.ID, j.Status)
	}
	if j.Fitted && j.FitFor == "" { // fitted before FitFor existed: name what it was fitted for
		j.FitFor = SpecHash(j.Spec)
	}
	j.Spec, j.Classifier = spec, ref
	return nil
}

// SpecHash identifies a spec (its JSON, whose maps encode in key order).
func SpecHash(spec classify.Spec) string {
	b, _ := json.Marshal(spec)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// FitHash identifies the real-time calls a saved classifier's corpus fit serves: the spec
// without its threshold, which only filters multi-label answers (calls have their own), and
// without its text_type. A fit depends on the job's text_type, but real-time scoring reads a
// text_type only through a fit (Compile ignores it), so a call naming the classifier without
// the text_type its last job was given would otherwise answer with no fit at all, worse on
// every count than with that job's (issue 24 item 5).
func FitHash(spec classify.Spec) string {
	spec.Threshold = nil
	spec.TextType = ""
	return SpecHash(spec)
}

// Active reports whether the job holds its account's active slot.
func (j *Job) Active() bool { return j.Status == StatusProcessing }
