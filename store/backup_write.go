package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A backup of a store kept elsewhere (the cluster's, store/kvstore; issue 25), written in
// the layout of this appliance's database, so that `classer-batch restore` and
// `restore --to-cluster` read it as they read a single node's backup.

// backupBatch is how many records one transaction of a BackupWriter holds: bbolt keeps a
// transaction's dirty pages in memory, so committing every so often keeps memory flat
// however much the store holds.
const backupBatch = 1000

// BackupWriter writes records, as Export reads them, into a new database file.
type BackupWriter struct {
	db *DB
	tx *bolt.Tx
	n  int
}

// NewBackupWriter starts a database file in dir (a temp name). Put the records, then
// Finish; Abort if anything fails.
func NewBackupWriter(dir string) (*BackupWriter, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	f, err := os.CreateTemp(dir, ".backup-*.db")
	if err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	f.Close()
	db, err := Open(f.Name())
	if err != nil {
		os.Remove(f.Name())
		return nil, err
	}
	// The file is read back once and unlinked: a crash loses it whatever is synced.
	db.bolt.NoSync = true
	return &BackupWriter{db: db}, nil
}

// Put writes one record. A record written twice (the same key, job, day…) replaces the
// first.
func (w *BackupWriter) Put(r Record) error {
	if w.tx == nil {
		tx, err := w.db.bolt.Begin(true)
		if err != nil {
			return fmt.Errorf("store: backup: %w", err)
		}
		w.tx = tx
	}
	if err := putRecord(w.tx, r); err != nil {
		return err
	}
	if w.n++; w.n%backupBatch == 0 {
		return w.commit()
	}
	return nil
}

func (w *BackupWriter) commit() error {
	if w.tx == nil {
		return nil
	}
	tx := w.tx
	w.tx = nil
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// Finish commits what was put and returns the file as a Snapshot taken at takenAt: open,
// unlinked, at its start, with its size and SHA-256.
func (w *BackupWriter) Finish(takenAt time.Time) (*Snapshot, error) {
	path := w.db.path
	defer os.Remove(path)
	err := w.commit()
	if cerr := w.db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("store: backup: %w", err)
	}
	return &Snapshot{File: f, Size: n, SHA256: h.Sum(nil), TakenAt: takenAt.UTC()}, nil
}

// Abort drops the file.
func (w *BackupWriter) Abort() {
	if w.tx != nil {
		_ = w.tx.Rollback()
	}
	_ = w.db.Close()
	os.Remove(w.db.path)
}

// putRecord writes r where this appliance's database keeps it (db.go's layout).
func putRecord(tx *bolt.Tx, r Record) error {
	put := func(bucket string, k []byte, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("store: backup: encode %s %q: %w", bucket, k, err)
		}
		return tx.Bucket([]byte(bucket)).Put(k, b)
	}
	switch {
	case r.Key != nil:
		sum, err := hex.DecodeString(r.KeyHash)
		if err != nil || len(sum) != sha256.Size {
			return fmt.Errorf("store: backup: key %s: its hash %q is not a hex SHA-256", r.Key.ID, r.KeyHash)
		}
		if err := put(bucketKeys, []byte(r.Key.ID), keyRecord{Key: *r.Key, Hash: r.KeyHash}); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketKeyHashes)).Put(sum, []byte(r.Key.ID))
	case r.Job != nil:
		if err := putJob(tx.Bucket([]byte(bucketJobs)), r.Job); err != nil {
			return err
		}
		return putIndex(tx, r.Job)
	case r.Classifier != nil:
		c := r.Classifier
		return put(bucketClassifiers, classifierKey(c.Account, c.Name, c.Version), c)
	case r.ClassifierSeq != nil:
		q := r.ClassifierSeq
		return tx.Bucket([]byte(bucketClassifierSeq)).Put(seqKey(q.Account, q.Name), binary.BigEndian.AppendUint32(nil, uint32(q.Last)))
	case r.Usage != nil:
		return put(bucketUsage, append(accountPrefix(r.Usage.Account), r.Usage.Date...), r.Usage.Usage)
	case r.Totals != nil:
		return put(bucketStats, []byte(statsBatchKey), r.Totals)
	case r.Reviews != nil:
		b, err := tx.Bucket([]byte(bucketReviews)).CreateBucketIfNotExists([]byte(r.Reviews.Job))
		if err != nil {
			return fmt.Errorf("store: backup: reviews of job %s: %w", r.Reviews.Job, err)
		}
		for _, rv := range r.Reviews.Reviews {
			v, err := json.Marshal(rv)
			if err != nil {
				return fmt.Errorf("store: backup: encode a review of job %s: %w", r.Reviews.Job, err)
			}
			if err := b.Put(reviewKey(rv.Index), v); err != nil {
				return err
			}
		}
		return nil
	}
	return errors.New("store: backup: empty record")
}
