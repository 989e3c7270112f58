package kvstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

// TestImport: a bbolt database's records (store.Export) imported into the KV store read
// back the same: a key authenticates, a completed job is listed once with its usage, the
// classifier's latest version is there and its next version follows the single node's
// sequence (a deleted version's number is not given again). A second import is refused
// record by record (batch.ErrConflict) and leaves the store as it was; with overwrite it
// replaces, so the usage is not doubled and the job is still listed once.
func TestImport(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "classer.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	spec := classify.Spec{Labels: []string{"billing", "sales"}}
	for range 3 {
		if _, err := db.SaveClassifier(ctx, "acme", "tickets", spec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.DeleteClassifier(ctx, "acme", "tickets"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.SaveClassifier(ctx, "acme", "tickets", spec); err != nil { // version 4
		t.Fatal(err)
	}
	if err := db.CreateJob(ctx, &batch.Job{ID: "batch_0000000000000001", Account: "acme", Spec: spec}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateJob(ctx, "batch_0000000000000001", func(j *batch.Job) error {
		j.Status, j.CompletedAt = batch.StatusCompleted, time.Now().UTC()
		j.Checkpoint.Completed, j.Checkpoint.Tokens = 7, 70
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	day := time.Now().UTC()
	wantUsage, err := db.UsageRange(ctx, "acme", day.AddDate(0, 0, -1), day.AddDate(0, 0, 1))
	if err != nil || len(wantUsage) != 1 || wantUsage[0].Jobs != 1 {
		t.Fatalf("usage on the single node: %+v %v", wantUsage, err)
	}
	db.Close()

	kv, err := kvstore.Open(ctx, startNode(t, "n1", "127.0.0.1:0"), kvstore.Config{Replicas: 1})
	if err != nil {
		t.Fatal(err)
	}
	importAll := func(overwrite bool) (conflicts int) {
		t.Helper()
		if _, err := store.Export(path, func(r store.Record) error {
			err := kv.Import(ctx, r, overwrite)
			if errors.Is(err, batch.ErrConflict) {
				conflicts++
				return nil
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return conflicts
	}
	check := func(when string) {
		t.Helper()
		if k, err := kv.Authenticate(ctx, secret); err != nil || k.Account != "acme" {
			t.Errorf("%s: the key: %+v %v", when, k, err)
		}
		if keys, _ := kv.Keys(ctx); len(keys) != 1 {
			t.Errorf("%s: %d keys, want 1", when, len(keys))
		}
		jobs, err := kv.Jobs(ctx, "acme", "", "", 10)
		if err != nil || len(jobs) != 1 || jobs[0].Status != batch.StatusCompleted {
			t.Errorf("%s: jobs %+v %v", when, jobs, err)
		}
		got, err := kv.UsageRange(ctx, "acme", day.AddDate(0, 0, -1), day.AddDate(0, 0, 1))
		if err != nil || len(got) != 1 || got[0] != wantUsage[0] {
			t.Errorf("%s: usage %+v, on the single node %+v (%v)", when, got, wantUsage, err)
		}
		if c, err := kv.Classifier(ctx, "acme", "tickets", 0); err != nil || c.Version != 4 {
			t.Errorf("%s: latest classifier %+v %v", when, c, err)
		}
	}
	if n := importAll(false); n != 0 {
		t.Fatalf("%d conflicts on an empty store", n)
	}
	check("imported")
	if h, err := kv.Holding(ctx); err != nil || h.Jobs != 1 || h.Classifiers != 1 || h.UsageDays != 1 || h.Empty() {
		t.Errorf("holding %+v %v", h, err)
	}
	// The job, the classifier version and the usage day are refused; the key merges.
	if n := importAll(false); n != 3 {
		t.Errorf("%d conflicts on a second import, want 3", n)
	}
	check("after a refused import")
	if n := importAll(true); n != 0 {
		t.Errorf("%d conflicts with overwrite", n)
	}
	check("after an import with overwrite")
	if c, err := kv.SaveClassifier(ctx, "acme", "tickets", spec); err != nil || c.Version != 5 {
		t.Errorf("the next version after the import: %+v %v; want 5", c, err)
	}
}
