package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/store"
)

// testReviews: reviews of a completed job are kept by line index, scoped to the job's
// account, refused for a job that is not completed, durable, and deleted with the job
// (by the API and by retention).
func testReviews(t *testing.T, b *backend) {
	db := b.open(t)
	done := func(id string) *batch.Job {
		j := newJob(id, "acme", t0, batch.StatusCompleted)
		j.FinishedAt = t0
		return j
	}
	mustCreate(t, db, done("batch_rv"), done("batch_rv2"), newJob("batch_pend", "acme", t0, batch.StatusPending))
	rv := func(i int64, label string) store.Review {
		return store.Review{Index: i, Label: label, Answer: "billing", Correct: label == "billing", ReviewedAt: t0}
	}
	for _, r := range []store.Review{rv(7, "support"), rv(2, "billing"), rv(40, "support")} {
		if err := db.PutReview(ctx, "acme", "batch_rv", r); err != nil {
			t.Fatalf("PutReview(%d): %v", r.Index, err)
		}
	}
	// A second review of a line replaces the first.
	if err := db.PutReview(ctx, "acme", "batch_rv", rv(7, "billing")); err != nil {
		t.Fatal(err)
	}
	if err := db.PutReview(ctx, "acme", "batch_rv2", rv(1, "support")); err != nil {
		t.Fatal(err)
	}
	if err := db.PutReview(ctx, "globex", "batch_rv", rv(3, "support")); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("PutReview(other account) = %v, want ErrNotFound", err)
	}
	var se *batch.StateError
	if err := db.PutReview(ctx, "acme", "batch_pend", rv(3, "support")); !errors.As(err, &se) || !errors.Is(err, batch.ErrConflict) {
		t.Errorf("PutReview(pending job) = %v, want a StateError", err)
	}
	if _, err := db.Reviews(ctx, "globex", "batch_rv"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("Reviews(other account) = %v, want ErrNotFound", err)
	}
	db = b.reopen(t, db)
	got, err := db.Reviews(ctx, "acme", "batch_rv")
	if err != nil {
		t.Fatal(err)
	}
	idx := func(rs []store.Review) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.Index)
		}
		return out
	}
	if !slices.Equal(idx(got), []int64{2, 7, 40}) || got[1].Label != "billing" || !got[1].Correct || !got[1].ReviewedAt.Equal(t0) {
		t.Errorf("Reviews = %+v, want lines 2, 7 (relabelled billing), 40", got)
	}
	if err := db.DeleteReview(ctx, "acme", "batch_rv", 40); err != nil {
		t.Fatalf("DeleteReview: %v", err)
	}
	if err := db.DeleteReview(ctx, "acme", "batch_rv", 40); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("DeleteReview(again) = %v, want ErrNotFound", err)
	}
	if err := db.DeleteReview(ctx, "globex", "batch_rv", 2); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("DeleteReview(other account) = %v, want ErrNotFound", err)
	}
	if got, _ := db.Reviews(ctx, "acme", "batch_rv"); !slices.Equal(idx(got), []int64{2, 7}) {
		t.Errorf("Reviews after delete = %v, want [2 7]", idx(got))
	}

	// Deleted with the job: a new job under the same id starts with none.
	if _, err := db.DeleteJob(ctx, "acme", "batch_rv"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Reviews(ctx, "acme", "batch_rv"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("Reviews of a deleted job = %v, want ErrNotFound", err)
	}
	mustCreate(t, db, done("batch_rv"))
	if got, err := db.Reviews(ctx, "acme", "batch_rv"); err != nil || len(got) != 0 {
		t.Errorf("Reviews of a new job with a deleted job's id = %v, %v; want none", idx(got), err)
	}
	// And by retention.
	if ok, err := db.DeleteFinishedBefore(ctx, "batch_rv2", t0.Add(time.Hour)); !ok || err != nil {
		t.Fatalf("DeleteFinishedBefore = %v, %v", ok, err)
	}
	mustCreate(t, db, done("batch_rv2"))
	if got, err := db.Reviews(ctx, "acme", "batch_rv2"); err != nil || len(got) != 0 {
		t.Errorf("Reviews after retention deleted the job = %v, %v; want none", idx(got), err)
	}
}
