package batch

import (
	"crypto/rand"
)

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewJobID returns "batch_" followed by 16 random lowercase letters and digits,
// the shape the hosted service uses.
func NewJobID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		// crypto/rand never fails on Linux; a failure means the system is unusable.
		panic("batch: crypto/rand: " + err.Error())
	}
	out := make([]byte, 0, 6+len(b))
	out = append(out, "batch_"...)
	for _, c := range b {
		// The modulo bias is irrelevant: job IDs are identifiers, not secrets
		// (every lookup is also scoped to the caller's account).
		out = append(out, idAlphabet[int(c)%len(idAlphabet)])
	}
	return string(out)
}

// InputKey is the object key of a job's uploaded input.
func InputKey(id string) string { return "jobs/" + id + "/input.ndjson" }

// OutputKey is the object key of a job's results.
func OutputKey(id string) string { return "jobs/" + id + "/results.ndjson" }

// FitKey is the object key of the state a job fitted on its own corpus.
func FitKey(id string) string { return "jobs/" + id + "/fit.bin" }

// JobPrefix is the prefix of every object a job owns.
func JobPrefix(id string) string { return "jobs/" + id + "/" }
