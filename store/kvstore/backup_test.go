package kvstore_test

import (
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

// TestBackup: a snapshot of the KV store is a single node's database file (it passes
// store.Inspect, and store.Open serves it) holding the same state: the keys authenticate,
// the jobs (not a deleted one) with their reviews, the classifier's versions and its
// sequence (the next save is the version after a deleted one), the usage (real-time
// calls and a completed job's, one value a day), the batch totals. Its SHA-256 and size
// are those of its bytes, and nothing is left in the spool directory.
func TestBackup(t *testing.T) {
	ctx := context.Background()
	spool := t.TempDir()
	now := time.Now().UTC().Truncate(time.Second)
	kv, err := kvstore.Open(ctx, startNode(t, "n1", "127.0.0.1:0"), kvstore.Config{Replicas: 1, SpoolDir: spool})
	if err != nil {
		t.Fatal(err)
	}
	secret, key, err := kv.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	adminSecret, _, err := kv.CreateKey(ctx, "ops", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Revoke(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	secret, _, err = kv.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	spec := classify.Spec{Labels: []string{"billing", "sales"}}
	for range 2 {
		if _, err := kv.SaveClassifier(ctx, "acme", "tickets-v2", spec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := kv.DeleteClassifier(ctx, "acme", "tickets-v2"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.SaveClassifier(ctx, "acme", "tickets-v2", spec); err != nil { // version 3
		t.Fatal(err)
	}
	for i, id := range []string{"batch_done", "batch_pending", "batch_deleted"} {
		if err := kv.CreateJob(ctx, &batch.Job{ID: id, Account: "acme", Spec: spec, CreatedAt: now.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := kv.UpdateJob(ctx, "batch_done", func(j *batch.Job) error {
		j.Status, j.CompletedAt = batch.StatusCompleted, now
		j.Checkpoint.Completed, j.Checkpoint.Failed, j.Checkpoint.Tokens = 7, 1, 70
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.DeleteJob(ctx, "acme", "batch_deleted"); err != nil {
		t.Fatal(err)
	}
	review := store.Review{Index: 3, Label: "sales", Answer: "billing", ReviewedAt: now}
	if err := kv.PutReview(ctx, "acme", "batch_done", review); err != nil {
		t.Fatal(err)
	}
	if err := kv.RecordUsages(ctx, []store.UsageDelta{{Account: "acme", Day: now, Usage: store.Usage{Requests: 2, RealtimeTokens: 20}}}); err != nil {
		t.Fatal(err)
	}
	from, to := now.AddDate(0, 0, -1), now.AddDate(0, 0, 1)
	wantUsage, err := kv.UsageRange(ctx, "acme", from, to)
	if err != nil || len(wantUsage) != 1 || wantUsage[0].Jobs != 1 || wantUsage[0].Requests != 2 {
		t.Fatalf("usage in the cluster: %+v %v", wantUsage, err)
	}
	wantStats, err := kv.JobStats(ctx)
	if err != nil {
		t.Fatal(err)
	}

	snap, err := kv.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), snap)
	snap.Close()
	f.Close()
	if err != nil || n != snap.Size || !reflect.DeepEqual(h.Sum(nil), snap.SHA256) {
		t.Fatalf("read %d bytes (%v), the snapshot says %d; digest matches: %v", n, err, snap.Size, reflect.DeepEqual(h.Sum(nil), snap.SHA256))
	}
	if left, _ := os.ReadDir(spool); len(left) != 0 {
		t.Errorf("left in the spool directory: %v", left)
	}
	sum, err := store.Inspect(path)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Keys != 3 || sum.Jobs[batch.StatusCompleted] != 1 || sum.Jobs[batch.StatusPending] != 1 || sum.Classifiers != 1 || sum.UsageDays != 1 || sum.Reviews != 1 {
		t.Errorf("the backup holds %s", sum)
	}

	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if k, err := db.Authenticate(ctx, secret); err != nil || k.Account != "acme" {
		t.Errorf("the key in the backup: %+v %v", k, err)
	}
	if k, err := db.Authenticate(ctx, adminSecret); err != nil || !k.Admin {
		t.Errorf("the admin key in the backup: %+v %v", k, err)
	}
	if keys, _ := db.Keys(ctx); len(keys) != 3 || keys[0].ID != key.ID || keys[0].RevokedAt.IsZero() {
		t.Errorf("keys in the backup: %+v, want 3 with %s revoked", keys, key.ID)
	}
	jobs, err := db.Jobs(ctx, "acme", "", "", 10)
	if err != nil || len(jobs) != 2 || jobs[0].ID != "batch_pending" || jobs[1].ID != "batch_done" || jobs[1].Checkpoint.Completed != 7 {
		t.Errorf("jobs in the backup: %+v %v", jobs, err)
	}
	if got, err := db.Reviews(ctx, "acme", "batch_done"); err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], review) {
		t.Errorf("reviews in the backup: %+v %v, want %+v", got, err, review)
	}
	if got, err := db.UsageRange(ctx, "acme", from, to); err != nil || !reflect.DeepEqual(got, wantUsage) {
		t.Errorf("usage in the backup: %+v %v, in the cluster %+v", got, err, wantUsage)
	}
	if got, err := db.JobStats(ctx); err != nil || got.Totals != wantStats.Totals {
		t.Errorf("batch totals in the backup: %+v %v, in the cluster %+v", got.Totals, err, wantStats.Totals)
	}
	if c, err := db.Classifier(ctx, "acme", "tickets-v2", 0); err != nil || c.Version != 3 || !reflect.DeepEqual(c.Spec.Labels, spec.Labels) {
		t.Errorf("classifier in the backup: %+v %v", c, err)
	}
	if c, err := db.SaveClassifier(ctx, "acme", "tickets-v2", spec); err != nil || c.Version != 4 {
		t.Errorf("the next version in the backup: %+v %v, want 4", c, err)
	}
}
