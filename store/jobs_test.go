package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newJob(id, account string, created time.Time, status batch.Status) *batch.Job {
	return &batch.Job{
		ID:        id,
		Account:   account,
		Spec:      classify.Spec{Labels: []string{"billing", "support"}},
		Status:    status,
		InputKey:  "jobs/" + id + "/input.ndjson",
		OutputKey: "jobs/" + id + "/results.ndjson",
		CreatedAt: created,
	}
}

func mustCreate(t *testing.T, db *DB, jobs ...*batch.Job) {
	t.Helper()
	for _, j := range jobs {
		if err := db.CreateJob(context.Background(), j); err != nil {
			t.Fatalf("CreateJob(%s): %v", j.ID, err)
		}
	}
}

// The jobs' behaviour is in the shared suite (storetest, TestSuite); what is left here
// is about bbolt's own layout.

// TestDeleteJobRemovesIndex: a deleted job's account_jobs entry goes with it, not just
// skipped by listings.
func TestDeleteJobRemovesIndex(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	mustCreate(t, db,
		newJob("batch_keep", "acme", t0, batch.StatusCompleted),
		newJob("batch_del", "acme", t0.Add(time.Minute), batch.StatusFailed),
	)
	if _, err := db.DeleteJob(ctx, "acme", "batch_del"); err != nil {
		t.Fatal(err)
	}
	err := db.bolt.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket([]byte(bucketAccountJobs)).Stats().KeyN; n != 1 {
			return fmt.Errorf("account_jobs has %d entries, want 1", n)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
