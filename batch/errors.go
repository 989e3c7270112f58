package batch

import (
	"fmt"
	"strings"
)

// StateError is an operation that the job's status does not allow: starting a job that is
// processing, deleting one before it stopped, asking for the results of one that has not
// completed. It wraps ErrConflict and carries what the server needs to say what to do next
// (server/errors.go words the advice; the error text itself is terse).
type StateError struct {
	JobID  string
	Status Status
	// Op is what was asked: "start", "delete", "cancel", "results" or "upload".
	Op string
	// JobError is the error of a failed job; Done and Total its lines done and in all.
	JobError    string
	Done, Total int64
}

func (e *StateError) Error() string {
	return fmt.Sprintf("%s: job %s is %s", e.Op, e.JobID, e.Status)
}

func (e *StateError) Unwrap() error { return ErrConflict }

// NewStateError describes why op is refused for job j in its current state.
func NewStateError(j *Job, op string) *StateError {
	return &StateError{JobID: j.ID, Status: j.Status, Op: op, JobError: j.Error,
		Done: j.Checkpoint.Completed + j.Checkpoint.Failed, Total: j.RequestsTotal}
}

// ActiveLimitError is a start refused because the account already has as many processing
// jobs as limits.max_active_jobs_per_account allows. It wraps ErrConflict.
type ActiveLimitError struct {
	Active []string // the account's processing jobs
	Limit  int
}

func (e *ActiveLimitError) Error() string {
	return fmt.Sprintf("account already has %d active job(s): %s", len(e.Active), strings.Join(e.Active, ", "))
}

func (e *ActiveLimitError) Unwrap() error { return ErrConflict }
