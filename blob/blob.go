// Package blob stores the appliance's objects (uploaded inputs and job results)
// and issues the signed URLs clients use to upload and download them.
//
// Local keeps objects as files under one directory and serves its own signed
// URLs (the server mounts ReceiveUpload and ServeDownload under /_blob/). S3
// implements the same Store interface on an S3-compatible store (AWS S3,
// MinIO, ...) with the store's own presigned POST policies and GETs.
//
// Keys are slash-separated paths such as "jobs/<id>/input.ndjson": segments of
// [A-Za-z0-9._-], none empty or starting with ".", at most 512 bytes, not
// ending in ".partial". Every key is validated before it becomes a file path,
// so no client-supplied string reaches the filesystem unchecked. A bad key
// passed by code wraps ErrInvalidKey; a bad key inside a request (upload form,
// download path) wraps ErrAccessDenied, since no valid signature can cover it.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
)

// Sentinel errors. Callers match them with errors.Is; messages wrap them as
// "<why>: <sentinel>" so the server can show the why.
var (
	// ErrNotExist reports a missing object. errors.Is(err, fs.ErrNotExist) also
	// holds for it, so callers that only know io/fs can test for it too.
	ErrNotExist error = notExistError{}
	// ErrTooLarge reports an upload over its size limit (HTTP 400 EntityTooLarge).
	ErrTooLarge = errors.New("entity too large")
	// ErrAccessDenied reports a bad, expired, tampered or foreign signature or
	// policy, and any key that fails validation when it comes from a request
	// (HTTP 403 AccessDenied).
	ErrAccessDenied = errors.New("access denied")
	// ErrBadUpload reports a malformed upload: not multipart, no file part, a
	// missing key field, oversized or duplicate form fields, a body that breaks
	// off, or a file smaller than the policy's minimum (HTTP 400).
	ErrBadUpload = errors.New("bad upload")
	// ErrInvalidKey reports a key (or delete prefix) that fails validKey when
	// it is passed by code rather than by a request: a programming error. Keys
	// that arrive in requests are reported as ErrAccessDenied instead.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrChanged reports that an object opened at a version (S3.OpenVersion) has been
	// replaced since: its bytes are no longer the ones that version named.
	ErrChanged = errors.New("the object was replaced since this version of it was read")
)

type notExistError struct{}

func (notExistError) Error() string { return "object does not exist" }

// Is lets errors.Is(err, fs.ErrNotExist) hold for ErrNotExist.
func (notExistError) Is(target error) bool { return target == fs.ErrNotExist }

// Store is object storage as the rest of the appliance uses it. Every backend
// (Local, S3) satisfies it and runs the same test suite (testStore).
//
// Error contract, common to all backends: invalid keys wrap ErrInvalidKey; a
// missing object wraps ErrNotExist; Put over max wraps ErrTooLarge and leaves
// any previous object under the key untouched.
type Store interface {
	// Ping reports whether the store can take writes now (used by /readyz).
	Ping(ctx context.Context) error
	// Put stores r under key, replacing any previous object atomically. It
	// reads at most max+1 bytes; more than max wraps ErrTooLarge. max < 0
	// means no limit. It returns the object's size.
	Put(ctx context.Context, key string, r io.Reader, max int64) (int64, error)
	// Open reads key from offset (0 <= offset <= size, else an error).
	Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
	// Stat returns the size of key.
	Stat(ctx context.Context, key string) (size int64, err error)
	// Delete removes every object whose key starts with prefix (a plain string
	// prefix, as in S3), including unfinished partial results. Nothing to
	// delete is not an error. An empty prefix is refused.
	Delete(ctx context.Context, prefix string) error
	// CreatePartial starts or resumes the results written under key; they
	// stay invisible under key until Partial.Commit. offset 0 creates or
	// truncates; offset > 0 resumes an existing partial cut back to offset
	// (missing partial wraps ErrNotExist; shorter than offset is an error).
	CreatePartial(ctx context.Context, key string, offset int64) (Partial, error)
	// PresignUpload returns a URL and form fields for a multipart POST that
	// uploads at most maxBytes to key until ttl passes.
	PresignUpload(ctx context.Context, key string, maxBytes int64, ttl time.Duration) (url string, fields map[string]string, err error)
	// PresignDownload returns a URL that GETs key (with Range support) as an
	// attachment named filename until ttl passes.
	PresignDownload(ctx context.Context, key, filename string, ttl time.Duration) (string, error)
	// Copy makes dst a copy of src without the bytes passing through the caller
	// (copy.go); a missing src wraps ErrNotExist.
	Copy(ctx context.Context, src, dst string) error
}

var _ Store = (*Local)(nil)

// Partial is an object being written. It is used by one goroutine at a time.
//
// Write buffers; Sync makes durable what the backend can make durable now and
// returns how many bytes from the start of the object are durable: everything
// written for local disk, only whole parts for S3 (a part must be at least
// 5 MiB). The caller checkpoints only a position that Sync reported durable.
// Every backend guarantees progress: once MinPartSize bytes or more are not
// yet durable, Sync makes everything written durable.
// Commit syncs and publishes the data
// under the final key; Close releases the file without publishing and may
// drop bytes written since the last Sync (a resume truncates to the last
// checkpoint anyway). Close after Commit, and a second Close, return nil.
// Write, Sync or Commit after Close or Commit return an error.
type Partial interface {
	io.Writer
	Sync() (durable int64, err error)
	Commit() error
	Close() error
}

// MinPartSize is the most a Sync may leave not durable: S3 refuses parts
// under 5 MiB (except the last), so its Partial waits for that much.
const MinPartSize = 5 << 20

// maxKeyLen bounds keys in bytes.
const maxKeyLen = 512

// partialSuffix marks unfinished results on disk; keys may not end with it so
// a partial can never be mistaken for (or collide with) a finished object.
const partialSuffix = ".partial"

// validKey reports whether key is acceptable: 1..maxKeyLen bytes of
// slash-separated segments, each made only of [A-Za-z0-9._-], not empty and
// not starting with "." (which rules out "." and ".." and keeps the names Local
// uses for temp files out of the key space), and not ending with ".partial".
// A valid key is already in canonical form: path.Clean(key) == key, no leading
// or trailing slash, so the file path derived from it stays inside the store.
func validKey(key string) bool {
	if len(key) == 0 || len(key) > maxKeyLen || strings.HasSuffix(key, partialSuffix) {
		return false
	}
	return validSegments(key)
}

// validPrefix accepts a delete prefix: like a key, except that it may end with
// "/" or in the middle of a segment, and may end with ".partial".
func validPrefix(prefix string) bool {
	if len(prefix) == 0 || len(prefix) > maxKeyLen {
		return false
	}
	return validSegments(strings.TrimSuffix(prefix, "/"))
}

func validSegments(s string) bool {
	if s == "" {
		return false
	}
	for seg := range strings.SplitSeq(s, "/") {
		if seg == "" || seg[0] == '.' {
			return false
		}
		for i := 0; i < len(seg); i++ {
			if !keyByte(seg[i]) {
				return false
			}
		}
	}
	return true
}

func keyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

func checkKey(key string) error {
	if !validKey(key) {
		return fmt.Errorf("%q: %w", truncate(key, 80), ErrInvalidKey)
	}
	return nil
}

// truncate keeps error messages bounded when a key is attacker-sized.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
