package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/classer-ai/classer-batch/batch"
)

// Backups (issue 14): a consistent snapshot of the database taken while the appliance runs,
// and its restore into a stopped appliance's data dir.

// Snapshot is a consistent copy of the database, spooled to an unlinked temp file beside
// it: read it, then Close it (the space goes with the last descriptor).
type Snapshot struct {
	*os.File
	Size    int64
	SHA256  []byte
	TakenAt time.Time
}

// Snapshot writes a consistent copy of the database with bbolt's Tx.WriteTo, in one read
// transaction, to a temp file in the database's directory. The copy is spooled rather than
// streamed to the client, so that a slow download cannot keep the read transaction open:
// a long read transaction stops bbolt from reusing freed pages and from growing its memory
// map, which would stall the jobs that write checkpoints meanwhile. It needs free space
// beside the database for one copy of it. Errors: the context's, and the disk's.
func (db *DB) Snapshot(ctx context.Context) (*Snapshot, error) {
	f, err := os.CreateTemp(filepath.Dir(db.path), ".backup-*.db")
	if err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	// Unlinked at once: nothing is left behind whatever happens to this process.
	os.Remove(f.Name())
	h := sha256.New()
	snap := &Snapshot{File: f, TakenAt: db.now().UTC()}
	err = db.view(ctx, func(tx *bolt.Tx) error {
		n, err := tx.WriteTo(io.MultiWriter(f, h))
		snap.Size = n
		return err
	})
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	snap.SHA256 = h.Sum(nil)
	return snap, nil
}

// Summary is what a database holds, as restore reports it.
type Summary struct {
	SchemaVersion uint64
	Keys          int
	Accounts      int
	Jobs          map[batch.Status]int
	Classifiers   int // versions
	UsageDays     int
	Reviews       int // reviewed lines of jobs (issue 26)
}

func (s Summary) String() string {
	var jobs []string
	for _, st := range []batch.Status{batch.StatusPending, batch.StatusProcessing, batch.StatusCompleted, batch.StatusFailed} {
		if n := s.Jobs[st]; n > 0 {
			jobs = append(jobs, fmt.Sprintf("%d %s", n, st))
		}
	}
	total := 0
	for _, n := range s.Jobs {
		total += n
	}
	js := fmt.Sprintf("%d jobs", total)
	if len(jobs) > 0 {
		js += " (" + strings.Join(jobs, ", ") + ")"
	}
	out := fmt.Sprintf("schema %d: %d keys of %d accounts, %s, %d saved classifier versions, %d days of usage",
		s.SchemaVersion, s.Keys, s.Accounts, js, s.Classifiers, s.UsageDays)
	if s.Reviews > 0 {
		out += fmt.Sprintf(", %d reviewed lines", s.Reviews)
	}
	return out
}

// ErrNotAppliance is returned (wrapped) by Inspect and Restore for a file that is not a
// database of this appliance: not a bbolt file, a bbolt file of another program, one
// written by a newer classer-batch, or a damaged one.
var ErrNotAppliance = errors.New("not a classer-batch database")

// requiredBuckets are the buckets every database of this appliance has had since schema 1.
var requiredBuckets = []string{bucketKeys, bucketKeyHashes, bucketJobs, bucketAccountJobs, bucketMeta}

// Inspect opens the database file at path read-only and checks that it is a database of
// this appliance that this binary can read: bbolt's own consistency check passes, the meta
// bucket holds a schema version no newer than this binary's, and the appliance's buckets
// are there. It summarises what the file holds. Errors wrap ErrNotAppliance (with the
// reason), or ErrLocked when a running server holds the file.
func Inspect(path string) (Summary, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Summary{}, err
	}
	if !fi.Mode().IsRegular() {
		return Summary{}, fmt.Errorf("%s: %w: not a regular file", path, ErrNotAppliance)
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: openTimeout})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return Summary{}, &lockedError{path: path}
	case err != nil:
		return Summary{}, fmt.Errorf("%s: %w: it is not a bbolt database file (%v)", path, ErrNotAppliance, err)
	}
	defer bdb.Close()
	return inspect(path, bdb)
}

// inspect checks an open database; bbolt panics on some damage that its check has not
// reported, and that is a refusal too.
func inspect(path string, bdb *bolt.DB) (sum Summary, err error) {
	defer func() {
		if r := recover(); r != nil {
			sum, err = Summary{}, fmt.Errorf("%s: %w: the file is damaged: %v", path, ErrNotAppliance, r)
		}
	}()
	err = bdb.View(func(tx *bolt.Tx) error {
		// A file cut short (an interrupted download or copy) ends before the pages its
		// meta page counts; bbolt would read past the end only when it gets there.
		if fi, err := os.Stat(path); err == nil && fi.Size() < tx.Size() {
			return fmt.Errorf("%w: the file is cut short: %d bytes, and its pages need %d", ErrNotAppliance, fi.Size(), tx.Size())
		}
		var damage []string
		for err := range tx.Check() {
			if len(damage) < 3 {
				damage = append(damage, err.Error())
			}
		}
		if len(damage) > 0 {
			return fmt.Errorf("%w: the file is damaged: %s", ErrNotAppliance, strings.Join(damage, "; "))
		}
		meta := tx.Bucket([]byte(bucketMeta))
		if meta == nil {
			return fmt.Errorf("%w: it is a bbolt database of another program (it has no %q bucket)", ErrNotAppliance, bucketMeta)
		}
		v := meta.Get([]byte(metaSchemaVersion))
		switch {
		case v == nil || len(v) != 8:
			return fmt.Errorf("%w: it has no schema version", ErrNotAppliance)
		case binary.BigEndian.Uint64(v) > schemaVersion:
			return fmt.Errorf("%w that this binary can read: it has schema version %d, and this binary reads up to %d (it was written by a newer classer-batch)",
				ErrNotAppliance, binary.BigEndian.Uint64(v), schemaVersion)
		}
		sum.SchemaVersion = binary.BigEndian.Uint64(v)
		for _, name := range requiredBuckets {
			if tx.Bucket([]byte(name)) == nil {
				return fmt.Errorf("%w: it lacks the %q bucket", ErrNotAppliance, name)
			}
		}
		return summarize(tx, &sum)
	})
	if err != nil {
		return Summary{}, fmt.Errorf("%s: %w", path, err)
	}
	return sum, nil
}

// summarize counts what tx holds; a value that does not decode is damage.
func summarize(tx *bolt.Tx, sum *Summary) error {
	accounts := map[string]bool{}
	err := tx.Bucket([]byte(bucketKeys)).ForEach(func(k, v []byte) error {
		var rec struct {
			Account string `json:"account"`
		}
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("%w: key %s does not decode: %v", ErrNotAppliance, k, err)
		}
		sum.Keys++
		accounts[rec.Account] = true
		return nil
	})
	if err != nil {
		return err
	}
	sum.Accounts = len(accounts)
	sum.Jobs = map[batch.Status]int{}
	err = tx.Bucket([]byte(bucketJobs)).ForEach(func(k, v []byte) error {
		var j struct {
			Status batch.Status `json:"status"`
		}
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("%w: job %s does not decode: %v", ErrNotAppliance, k, err)
		}
		sum.Jobs[j.Status]++
		return nil
	})
	if err != nil {
		return err
	}
	if b := tx.Bucket([]byte(bucketClassifiers)); b != nil {
		sum.Classifiers = b.Stats().KeyN
	}
	if b := tx.Bucket([]byte(bucketUsage)); b != nil {
		sum.UsageDays = b.Stats().KeyN
	}
	if b := tx.Bucket([]byte(bucketReviews)); b != nil {
		err := b.ForEachBucket(func(k []byte) error {
			sum.Reviews += b.Bucket(k).Stats().KeyN
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Restored is what Restore did.
type Restored struct {
	Summary Summary
	// Kept is where the database that was in place now is ("" if there was none).
	Kept string
}

// Restore installs the backup file at backup as the database at path, for an appliance
// that is stopped. It checks the backup first (Inspect) and refuses a file that is not a
// database of this appliance; it refuses while a process holds the database at path
// (ErrLocked: the server is running). The backup is copied beside path, fsynced, and
// renamed into place, with the owner of the database it replaces (or of its directory) when
// run as root; the database that was there is kept as
// path.before-restore-<UTC time> (keepAside). The backup file itself is left as it was.
func Restore(path, backup string, now time.Time) (Restored, error) {
	if same(path, backup) {
		return Restored{}, fmt.Errorf("%s is the database itself; give a backup file", backup)
	}
	sum, err := Inspect(backup)
	if err != nil {
		return Restored{}, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Restored{}, err
	}
	// Hold the current database's lock while the new one is put in place, so that a
	// server starting meanwhile waits and fails ("in use") instead of opening either.
	if _, err := os.Stat(path); err == nil {
		cur, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: openTimeout})
		switch {
		case errors.Is(err, berrors.ErrTimeout):
			return Restored{}, &lockedError{path: path}
		case err == nil:
			defer cur.Close()
		}
		// A current database that does not open (damaged: the reason to restore) is
		// simply kept aside.
	}
	tmp, err := os.CreateTemp(dir, ".restore-*.db")
	if err != nil {
		return Restored{}, err
	}
	defer os.Remove(tmp.Name())
	src, err := os.Open(backup)
	if err != nil {
		tmp.Close()
		return Restored{}, err
	}
	_, err = io.Copy(tmp, src)
	src.Close()
	if err == nil {
		err = tmp.Chmod(0o600)
	}
	if err == nil {
		owner := path
		if _, serr := os.Stat(path); serr != nil {
			owner = dir
		}
		err = chownLike(tmp, owner)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Restored{}, fmt.Errorf("copying %s beside %s: %w", backup, path, err)
	}
	// The copy is checked again: it is what the server will open.
	if _, err := Inspect(tmp.Name()); err != nil {
		return Restored{}, fmt.Errorf("the copy of %s does not check: %w", backup, err)
	}
	var kept string
	if _, err := os.Stat(path); err == nil {
		if kept, err = keepAside(path, now); err != nil {
			return Restored{}, fmt.Errorf("keeping the current database aside: %w", err)
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		if kept != "" {
			_ = os.Remove(kept) // path still holds the current database
		}
		return Restored{}, fmt.Errorf("installing the backup: %w", err)
	}
	if err := syncDir(dir); err != nil {
		return Restored{}, err
	}
	return Restored{Summary: sum, Kept: kept}, nil
}

// keepAside gives the database at path a second name of its own,
// path.before-restore-<UTC time>, or -2, -3… after it when a restore in the same second
// kept one already (issue 22). A hard link never replaces a file, where a rename would
// overwrite the copy the earlier restore kept; and path stays in place until the backup
// is renamed over it.
func keepAside(path string, now time.Time) (string, error) {
	base := path + ".before-restore-" + now.UTC().Format("20060102T150405Z")
	name := base
	for i := 2; i <= 1000; i++ {
		switch err := os.Link(path, name); {
		case err == nil:
			return name, nil
		case !errors.Is(err, fs.ErrExist):
			return "", err
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
	return "", fmt.Errorf("%s and -2 to -1000 exist already", base)
}

func same(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
