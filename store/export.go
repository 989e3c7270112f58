package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
)

// Moving a single node into a cluster (issue 25): a backup's records read one by one, for
// another store to write in its own layout (store/kvstore's Import).

// Record is one record of a database as Export reads it: exactly one of its pointers is set.
type Record struct {
	// Key is an API key, with KeyHash the hex SHA-256 of its secret (the secret itself is
	// not stored anywhere).
	Key     *Key
	KeyHash string
	Job     *batch.Job
	// Classifier is one saved version, with its fit's description (the fit state itself
	// is not exported: see Export).
	Classifier *Classifier
	// ClassifierSeq is the last version of a classifier name, kept after a delete so
	// that versions are not reused.
	ClassifierSeq *ClassifierSeq
	Usage         *AccountUsage
	Totals        *BatchTotals
	Reviews       *JobReviews
}

// ClassifierSeq is the last version given to account's classifier name.
type ClassifierSeq struct {
	Account, Name string
	Last          int
}

// AccountUsage is one account's usage on one day (real-time calls and completed jobs).
type AccountUsage struct {
	Account string
	UsageDay
}

// JobReviews are every review of one job, by line index.
type JobReviews struct {
	Job     string
	Reviews []Review
}

// Export checks the backup file at path as Inspect does and calls fn with each of its
// records, in one read transaction: keys, jobs, classifiers and their sequences, usage,
// the batch totals, reviews. One record is in memory at a time (a job's reviews are one
// record). The classifiers' fit states (classifier_fits) are not exported. An error from
// fn stops the export and is returned as it is.
func Export(path string, fn func(Record) error) (Summary, error) {
	sum, err := Inspect(path)
	if err != nil {
		return sum, err
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: openTimeout})
	if err != nil {
		return sum, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer bdb.Close()
	return sum, bdb.View(func(tx *bolt.Tx) error { return export(tx, fn) })
}

func export(tx *bolt.Tx, fn func(Record) error) error {
	err := tx.Bucket([]byte(bucketKeys)).ForEach(func(k, v []byte) error {
		var rec keyRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("store: decode key %s: %w", k, err)
		}
		return fn(Record{Key: &rec.Key, KeyHash: rec.Hash})
	})
	if err != nil {
		return err
	}
	err = tx.Bucket([]byte(bucketJobs)).ForEach(func(k, v []byte) error {
		var j batch.Job
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("store: decode job %s: %w", k, err)
		}
		return fn(Record{Job: &j})
	})
	if err != nil {
		return err
	}
	// The buckets below were added without a schema bump: an old backup may lack them.
	err = forEachIn(tx, bucketClassifiers, func(k, v []byte) error {
		var c Classifier
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("store: decode classifier %q: %w", k, err)
		}
		return fn(Record{Classifier: &c})
	})
	if err != nil {
		return err
	}
	err = forEachIn(tx, bucketClassifierSeq, func(k, v []byte) error {
		account, name, ok := bytes.Cut(k, []byte{0})
		if !ok || len(v) != 4 {
			return fmt.Errorf("store: corrupt classifier sequence %q", k)
		}
		return fn(Record{ClassifierSeq: &ClassifierSeq{Account: string(account), Name: string(name), Last: int(binary.BigEndian.Uint32(v))}})
	})
	if err != nil {
		return err
	}
	err = forEachIn(tx, bucketUsage, func(k, v []byte) error {
		account, day, ok := bytes.Cut(k, []byte{0})
		if !ok {
			return fmt.Errorf("store: corrupt usage key %q", k)
		}
		u := AccountUsage{Account: string(account), UsageDay: UsageDay{Date: string(day)}}
		if err := json.Unmarshal(v, &u.Usage); err != nil {
			return fmt.Errorf("store: decode usage %q: %w", k, err)
		}
		return fn(Record{Usage: &u})
	})
	if err != nil {
		return err
	}
	if b := tx.Bucket([]byte(bucketStats)); b != nil && b.Get([]byte(statsBatchKey)) != nil {
		t, err := getTotals(tx)
		if err != nil {
			return err
		}
		if err := fn(Record{Totals: &t}); err != nil {
			return err
		}
	}
	b := tx.Bucket([]byte(bucketReviews))
	if b == nil {
		return nil
	}
	return b.ForEachBucket(func(id []byte) error {
		r := JobReviews{Job: string(id)}
		err := b.Bucket(id).ForEach(func(k, v []byte) error {
			var rv Review
			if err := json.Unmarshal(v, &rv); err != nil {
				return fmt.Errorf("store: decode review %s/%x: %w", id, k, err)
			}
			r.Reviews = append(r.Reviews, rv)
			return nil
		})
		if err != nil {
			return err
		}
		return fn(Record{Reviews: &r})
	})
}

// forEachIn is ForEach over bucket name, which may be missing.
func forEachIn(tx *bolt.Tx, name string, fn func(k, v []byte) error) error {
	b := tx.Bucket([]byte(name))
	if b == nil {
		return nil
	}
	return b.ForEach(fn)
}
