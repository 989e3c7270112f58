package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
)

func spec(labels ...string) classify.Spec { return classify.Spec{Labels: labels} }

func TestClassifierVersions(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)

	for i, labels := range [][]string{{"a", "b"}, {"a", "b", "c"}, {"x"}} {
		c, err := db.SaveClassifier(ctx, "acme", "tickets", spec(labels...))
		if err != nil {
			t.Fatal(err)
		}
		if c.Version != i+1 || c.Name != "tickets" || c.Account != "acme" || c.CreatedAt.IsZero() {
			t.Fatalf("save %d = %+v", i, c)
		}
	}
	// Names that share a prefix and other accounts stay apart.
	mustSave(t, db, "acme", "tickets-2", "p")
	mustSave(t, db, "acme", "ticket", "q")
	mustSave(t, db, "globex", "tickets", "other")
	db = reopen(t, db, path)

	for _, tc := range []struct {
		version int
		want    []string
	}{{0, []string{"x"}}, {1, []string{"a", "b"}}, {2, []string{"a", "b", "c"}}, {3, []string{"x"}}} {
		c, err := db.Classifier(ctx, "acme", "tickets", tc.version)
		if err != nil {
			t.Fatalf("v%d: %v", tc.version, err)
		}
		if !slices.Equal(c.Spec.Labels, tc.want) {
			t.Fatalf("v%d labels = %v, want %v", tc.version, c.Spec.Labels, tc.want)
		}
	}
	for _, tc := range []struct {
		account, name string
		version       int
	}{{"acme", "tickets", 4}, {"acme", "nope", 0}, {"initech", "tickets", 0}, {"acme", "Bad Name", 0}, {"acme", "tickets", -1}} {
		if _, err := db.Classifier(ctx, tc.account, tc.name, tc.version); !errors.Is(err, batch.ErrNotFound) {
			t.Errorf("Classifier(%+v) = %v, want ErrNotFound", tc, err)
		}
	}

	list, err := db.Classifiers(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range list {
		got = append(got, s.Latest.Name+"@"+string(rune('0'+s.Latest.Version))+"/"+string(rune('0'+s.Versions)))
	}
	if want := []string{"ticket@1/1", "tickets@3/3", "tickets-2@1/1"}; !slices.Equal(got, want) {
		t.Fatalf("Classifiers = %v, want %v", got, want)
	}

	// Delete removes every version, leaves the neighbours, and never reuses a number.
	n, err := db.DeleteClassifier(ctx, "acme", "tickets")
	if err != nil || n != 3 {
		t.Fatalf("DeleteClassifier = %d, %v", n, err)
	}
	if _, err := db.DeleteClassifier(ctx, "acme", "tickets"); !errors.Is(err, batch.ErrNotFound) {
		t.Fatalf("second delete = %v", err)
	}
	if _, err := db.Classifier(ctx, "acme", "tickets-2", 0); err != nil {
		t.Fatalf("neighbour lost: %v", err)
	}
	if _, err := db.Classifier(ctx, "globex", "tickets", 0); err != nil {
		t.Fatalf("other account's lost: %v", err)
	}
	c, err := db.SaveClassifier(ctx, "acme", "tickets", spec("new"))
	if err != nil || c.Version != 4 {
		t.Fatalf("save after delete = %+v, %v; want version 4", c, err)
	}
}

func mustSave(t *testing.T, db *DB, account, name string, labels ...string) {
	t.Helper()
	if _, err := db.SaveClassifier(context.Background(), account, name, spec(labels...)); err != nil {
		t.Fatal(err)
	}
}

func TestClassifierNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"tickets": true, "a": true, "a-b_c9": true, string(make([]byte, 65)): false,
		"": false, "Tickets": false, "a b": false, "a@v1": false, "a\x00b": false, "é": false,
		"abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234": true,
	} {
		if got := ValidClassifierName(name); got != ok {
			t.Errorf("ValidClassifierName(%q) = %v, want %v", name, got, ok)
		}
	}
	if _, err := openTestDB(t).SaveClassifier(context.Background(), "acme", "Bad", spec("a")); err == nil {
		t.Fatal("SaveClassifier accepted an invalid name")
	}
}

func openTestDB(t *testing.T) *DB {
	db, _ := openTest(t)
	return db
}

func TestUsageRecordAndRange(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	d1 := time.Date(2025, 3, 1, 23, 59, 0, 0, time.UTC)
	d2 := time.Date(2025, 3, 2, 0, 1, 0, 0, time.FixedZone("x", 3600)) // 2025-03-01 23:01 UTC
	d3 := time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)
	for _, r := range []struct {
		account string
		day     time.Time
		u       Usage
	}{
		{"acme", d1, Usage{Requests: 1, RealtimeTokens: 10}},
		{"acme", d2, Usage{Requests: 2, RealtimeTokens: 5}},
		{"acme", d3, Usage{Jobs: 1, BatchLines: 7, BatchTokens: 70}},
		{"acmex", d1, Usage{Requests: 100}},
		{"globex", d1, Usage{Requests: 100}},
	} {
		if err := db.RecordUsages(ctx, []UsageDelta{{Account: r.account, Day: r.day, Usage: r.u}}); err != nil {
			t.Fatal(err)
		}
	}
	days, err := db.UsageRange(ctx, "acme", time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := []UsageDay{
		{"2025-03-01", Usage{Requests: 3, RealtimeTokens: 15}},
		{"2025-03-05", Usage{Jobs: 1, BatchLines: 7, BatchTokens: 70}},
	}
	if !slices.Equal(days, want) {
		t.Fatalf("UsageRange = %+v, want %+v", days, want)
	}
	// Both ends are inclusive; a range without rows is empty.
	days, _ = db.UsageRange(ctx, "acme", d3, d3)
	if len(days) != 1 || days[0].Date != "2025-03-05" {
		t.Fatalf("one-day range = %+v", days)
	}
	days, _ = db.UsageRange(ctx, "initech", d1, d3)
	if len(days) != 0 {
		t.Fatalf("other account = %+v", days)
	}
}

// TestUpdateJobBooksUsage: the transition to completed charges the job once, in the
// transaction that marks it completed; progress feeds the appliance-wide totals.
func TestUpdateJobBooksUsage(t *testing.T) {
	ctx := context.Background()
	db := openTestDB(t)
	j := newJob("batch_u", "acme", t0, batch.StatusProcessing)
	mustCreate(t, db, j)
	step := func(fn func(*batch.Job)) {
		t.Helper()
		if _, err := db.UpdateJob(ctx, j.ID, func(j *batch.Job) error { fn(j); return nil }); err != nil {
			t.Fatal(err)
		}
	}
	step(func(j *batch.Job) { j.Checkpoint = batch.Checkpoint{Completed: 3, Failed: 1, Tokens: 30} })
	step(func(j *batch.Job) { j.Status = batch.StatusFailed })
	step(func(j *batch.Job) { j.Status = batch.StatusProcessing })
	done := time.Date(2025, 4, 2, 8, 0, 0, 0, time.UTC)
	step(func(j *batch.Job) {
		j.Status = batch.StatusCompleted
		j.CompletedAt = done
		j.Checkpoint = batch.Checkpoint{Completed: 5, Failed: 1, Tokens: 50}
	})
	step(func(j *batch.Job) { j.Error = "" }) // a later update of a completed job charges nothing

	days, err := db.UsageRange(ctx, "acme", done, done)
	if err != nil {
		t.Fatal(err)
	}
	if want := []UsageDay{{"2025-04-02", Usage{Jobs: 1, BatchLines: 6, BatchTokens: 50}}}; !slices.Equal(days, want) {
		t.Fatalf("usage = %+v, want %+v", days, want)
	}
	st, err := db.JobStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Totals != (BatchTotals{LinesCompleted: 5, LinesFailed: 1, Tokens: 50}) || st.ByStatus[batch.StatusCompleted] != 1 {
		t.Fatalf("JobStats = %+v", st)
	}
}
