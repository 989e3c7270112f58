package classify

import "fmt"

// Kinds of RemoteError: how a model server failed, which decides the HTTP status a client
// gets (server/errors.go).
const (
	RemoteUnreachable = "unreachable" // no connection: refused, no route, a name that does not resolve, TLS
	RemoteTimeout     = "timeout"     // no answer within the model's timeout
	RemoteOverloaded  = "overloaded"  // still 429 after the retries
	RemoteFailed      = "failed"      // a 5xx, or a connection dropped before the answer
	RemoteRefused     = "refused"     // another 4xx, or a redirect: the request or the model's config is wrong
	RemoteBadAnswer   = "bad_answer"  // a 2xx whose body could not be used
)

// RemoteError is a request to a model server that failed for good. Its text goes to every
// tenant (an HTTP error, a job's error, GET /v1/models), so it names the model by its
// configured name and says what kind of failure it was, but never holds the server's URL:
// the URL may carry credentials, and its host is the operator's business. Err, with the
// detail, is for the operator's log.
type RemoteError struct {
	Model   string // the configured name
	Kind    string // Remote*
	Status  int    // the server's HTTP status; 0 when no HTTP answer came
	Message string // what went wrong, in words safe to show any tenant
	Err     error  // the cause, which may name the URL: logs only
}

func (e *RemoteError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("model %s: %s", e.Model, e.Message)
	}
	return fmt.Sprintf("model %s: HTTP %d: %s", e.Model, e.Status, e.Message)
}

func (e *RemoteError) Unwrap() error { return e.Err }
