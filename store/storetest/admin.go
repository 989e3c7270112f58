package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
)

// testAllJobs: the admin overview's list holds every account's jobs, newest first
// across accounts (ties by id, descending), paged by offset with the total of all.
func testAllJobs(t *testing.T, b *backend) {
	db := b.open(t)
	mustCreate(t, db,
		newJob("batch_1", "acme", t0, batch.StatusPending),
		newJob("batch_2", "globex", t0.Add(time.Minute), batch.StatusCompleted),
		newJob("batch_3", "acme", t0.Add(2*time.Minute), batch.StatusFailed),
		newJob("batch_4", "initech", t0.Add(2*time.Minute), batch.StatusPending),
		newJob("batch_5", "globex", t0.Add(-time.Hour), batch.StatusPending),
	)
	want := []string{"batch_4", "batch_3", "batch_2", "batch_1", "batch_5"}
	var got []string
	for offset := 0; offset < 6; offset += 2 {
		page, total, err := db.AllJobs(ctx, offset, 2)
		if err != nil {
			t.Fatal(err)
		}
		if total != 5 {
			t.Fatalf("AllJobs(%d, 2): total %d, want 5", offset, total)
		}
		got = append(got, ids(page)...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("AllJobs pages: %v, want %v", got, want)
	}
	page, _, err := db.AllJobs(ctx, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].Account != "acme" || page[0].Status != batch.StatusFailed {
		t.Fatalf("AllJobs(1, 1) = %+v, want acme's failed batch_3", page)
	}
	if _, err := db.DeleteJob(ctx, "acme", "batch_3"); err != nil {
		t.Fatal(err)
	}
	page, total, err := db.AllJobs(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if total != 4 || !slices.Equal(ids(page), []string{"batch_4", "batch_2", "batch_1", "batch_5"}) {
		t.Fatalf("after a delete: AllJobs = %v (total %d)", ids(page), total)
	}
}
