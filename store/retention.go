package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
)

// FinishedBefore returns the completed and failed jobs of every account that
// finished before t, for the retention sweep. Processing and pending jobs are
// never returned.
func (db *DB) FinishedBefore(ctx context.Context, t time.Time) ([]*batch.Job, error) {
	var out []*batch.Job
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketJobs)).ForEach(func(k, v []byte) error {
			var j batch.Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("store: decode job %s: %w", k, err)
			}
			finished := j.Status == batch.StatusCompleted || j.Status == batch.StatusFailed
			if finished && !j.FinishedAt.IsZero() && j.FinishedAt.Before(t) {
				out = append(out, &j)
			}
			return nil
		})
	})
	return out, err
}

// DeleteFinishedBefore deletes job id if, in this transaction, it is still
// completed or failed and finished before t; it reports whether it did. The
// check and the delete are one transaction, so a job restarted (or finished
// again) since it was listed is kept.
func (db *DB) DeleteFinishedBefore(ctx context.Context, id string, t time.Time) (bool, error) {
	deleted := false
	err := db.update(ctx, func(tx *bolt.Tx) error {
		jobs := tx.Bucket([]byte(bucketJobs))
		j, err := getJob(jobs, "", id)
		if err != nil {
			if errors.Is(err, batch.ErrNotFound) {
				return nil
			}
			return err
		}
		finished := j.Status == batch.StatusCompleted || j.Status == batch.StatusFailed
		if !finished || j.FinishedAt.IsZero() || !j.FinishedAt.Before(t) {
			return nil
		}
		if err := deleteJob(tx, j); err != nil {
			return err
		}
		deleted = true
		return nil
	})
	return deleted, err
}
