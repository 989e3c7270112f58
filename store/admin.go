package store

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
)

// AllJobs returns limit jobs of every account, newest first (CreatedAt, then id, both
// descending), skipping the first offset, and how many jobs there are in all; it is the
// admin overview's list. Only the account index's keys are read to order the jobs, so
// just the page's jobs are decoded.
func (db *DB) AllJobs(ctx context.Context, offset, limit int) ([]*batch.Job, int, error) {
	type entry struct {
		created uint64 // indexKey's sign-flipped nanoseconds: bytewise order is time order
		id      string
	}
	var out []*batch.Job
	var total int
	err := db.view(ctx, func(tx *bolt.Tx) error {
		var all []entry
		err := tx.Bucket([]byte(bucketAccountJobs)).ForEach(func(k, _ []byte) error {
			sep := bytes.IndexByte(k, 0)
			if sep < 0 || len(k) < sep+1+8 {
				return fmt.Errorf("store: malformed account index key %q", k)
			}
			all = append(all, entry{binary.BigEndian.Uint64(k[sep+1:]), string(k[sep+1+8:])})
			return nil
		})
		if err != nil {
			return err
		}
		slices.SortFunc(all, func(a, b entry) int {
			return cmp.Or(cmp.Compare(b.created, a.created), cmp.Compare(b.id, a.id))
		})
		total = len(all)
		jobs := tx.Bucket([]byte(bucketJobs))
		for _, e := range all[min(offset, total):min(offset+limit, total)] {
			j, err := getJob(jobs, "", e.id)
			if err != nil {
				return fmt.Errorf("store: account index points at job %s: %w", e.id, err)
			}
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// FileBytes is the size of the database file on disk (bbolt grows it in steps and
// never shrinks it, so it can exceed the data it holds).
func (db *DB) FileBytes() (int64, error) {
	fi, err := os.Stat(db.path)
	if err != nil {
		return 0, fmt.Errorf("store: %w", err)
	}
	return fi.Size(), nil
}
