// Package store keeps the appliance's durable state — API keys, batch jobs, saved
// classifiers and usage — in one bbolt file (DESIGN.md §3, §5).
//
// Every public method is exactly one bbolt transaction and decodes its values inside
// that transaction, so a caller never holds memory that belongs to bbolt's mmap and
// every read is one consistent snapshot. Values are JSON; index keys are built so that
// bytewise order is the order callers page in.
package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// schemaVersion is written to the meta bucket of a new database. A database written by
// a newer binary is refused rather than misread.
const schemaVersion = 1

// Bucket names. Strings rather than []byte variables so there is no package-level
// mutable state; the conversions are free.
const (
	bucketKeys        = "keys"         // key id -> keyRecord JSON
	bucketKeyHashes   = "key_hashes"   // sha256(secret) (32 raw bytes) -> key id
	bucketJobs        = "jobs"         // job id -> batch.Job JSON
	bucketAccountJobs = "account_jobs" // account 0x00 created(8, big-endian) id -> nil
	bucketMeta        = "meta"         // "schema_version" -> uint64 big-endian
	// Added in schema 1 without a version bump: buckets are created when missing, so an
	// older database simply gains them (classifiers.go, usage.go).
	bucketClassifiers   = "classifiers"    // account 0x00 name 0x00 version(4, big-endian) -> classifierRecord JSON
	bucketClassifierSeq = "classifier_seq" // account 0x00 name -> last version (4, big-endian), kept after delete
	bucketUsage         = "usage"          // account 0x00 "YYYY-MM-DD" -> Usage JSON
	bucketStats         = "stats"          // "batch" -> BatchTotals JSON (appliance-wide, monotonic)
	// Added without a version bump, like the classifier buckets.
	bucketClassifierFits = "classifier_fits" // account 0x00 name 0x00 version(4, big-endian) -> fit state (ClassifierFit)
	// Issue 26, likewise without a version bump.
	bucketReviews = "reviews" // job id -> (bucket) line index (8, big-endian) -> Review JSON

	metaSchemaVersion = "schema_version"
)

// openTimeout bounds how long Open waits for bbolt's exclusive file lock. Another
// process holding the lock is the only realistic cause of a wait, so a short timeout
// turns a silent hang into a clear error.
const openTimeout = time.Second

// ErrLocked is returned (wrapped) by Open when another process — normally a running
// `classer-batch serve` — holds the database's exclusive lock.
var ErrLocked = errors.New("database is in use by another process")

// lockedError names the path and tells the operator the likely cause; it unwraps to
// ErrLocked so callers can test with errors.Is.
type lockedError struct{ path string }

func (e *lockedError) Error() string {
	return fmt.Sprintf("database %s is in use by another process (is classer-batch serve running?)", e.path)
}

func (e *lockedError) Unwrap() error { return ErrLocked }

// DB is the appliance database. It is safe for concurrent use.
type DB struct {
	bolt *bolt.DB
	path string
	// now is the clock for CreatedAt/RevokedAt stamps the store sets itself; tests replace it.
	now func() time.Time
	// auth remembers keys that authenticated (see Authenticate).
	auth authCache
}

// Open opens (creating if needed) the database at path, creating its parent directory
// with mode 0700 and the file with mode 0600, and makes sure every bucket exists.
//
// If another process holds the database, Open gives up after about a second with an
// error that wraps ErrLocked and names the path. A database whose schema version is
// newer than this binary understands is refused. Other failures wrap the underlying
// error.
func Open(path string) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: create directory for %s: %w", path, err)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: openTimeout})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &lockedError{path: path}
	}
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db := &DB{bolt: bdb, path: path, now: time.Now}
	if err := db.init(); err != nil {
		_ = bdb.Close()
		return nil, err
	}
	return db, nil
}

// init creates the buckets and checks the schema version in one transaction, so a
// crash during the first start leaves either nothing or a complete layout.
func (db *DB) init() error {
	return db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range []string{bucketKeys, bucketKeyHashes, bucketJobs, bucketAccountJobs, bucketMeta,
			bucketClassifiers, bucketClassifierSeq, bucketUsage, bucketStats, bucketClassifierFits, bucketReviews} {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("store: create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket([]byte(bucketMeta))
		v := meta.Get([]byte(metaSchemaVersion))
		switch {
		case v == nil:
			return meta.Put([]byte(metaSchemaVersion), binary.BigEndian.AppendUint64(nil, schemaVersion))
		case len(v) != 8:
			return fmt.Errorf("store: %s: corrupt schema version", db.path)
		case binary.BigEndian.Uint64(v) > schemaVersion:
			return fmt.Errorf("store: %s has schema version %d but this binary supports at most %d (was it written by a newer classer-batch?)",
				db.path, binary.BigEndian.Uint64(v), schemaVersion)
		}
		return nil
	})
}

// Close closes the database. Nothing may use db afterwards.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close %s: %w", db.path, err)
	}
	return nil
}

// Ping runs a read transaction, for readiness checks. It fails if ctx is done, the
// database is closed, or its layout is missing.
func (db *DB) Ping(ctx context.Context) error {
	return db.view(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(bucketMeta)) == nil {
			return errors.New("store: meta bucket missing")
		}
		return nil
	})
}

// view and update refuse to start a transaction for a caller that has gone away:
// bbolt transactions cannot be interrupted, so the context is checked up front.
func (db *DB) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(fn)
}

func (db *DB) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.Update(fn)
}

// randomString returns n characters drawn uniformly from alphabet using crypto/rand.
// Rejection sampling removes modulo bias, which matters because secrets are built here.
func randomString(n int, alphabet string) string {
	// Largest multiple of len(alphabet) that fits in a byte; bytes at or above it are
	// rejected so every character is equally likely.
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		// crypto/rand.Read never returns an error (Go 1.24+: it crashes the program instead).
		_, _ = rand.Read(buf[:])
		for _, c := range buf {
			if int(c) < limit {
				out = append(out, alphabet[int(c)%len(alphabet)])
				if len(out) == n {
					break
				}
			}
		}
	}
	return string(out)
}
