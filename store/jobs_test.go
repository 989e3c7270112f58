package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
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

func TestCreateJobAndGet(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	j := newJob("batch_a", "acme", t0, batch.StatusPending)
	j.RequestsTotal = 7
	j.Checkpoint.OutputOffset = 99
	mustCreate(t, db, j)

	db = reopen(t, db, path)
	for _, tc := range []struct {
		name, account, id string
		wantErr           error
	}{
		{"own account", "acme", "batch_a", nil},
		{"any account", "", "batch_a", nil},
		{"other account", "globex", "batch_a", batch.ErrNotFound},
		{"unknown", "acme", "batch_zzz", batch.ErrNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := db.Job(ctx, tc.account, tc.id)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Job = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				// Another account's job must be indistinguishable from a missing one.
				if want := fmt.Sprintf("not found: job %s", tc.id); err.Error() != want {
					t.Errorf("error = %q, want %q", err, want)
				}
				return
			}
			if got.ID != j.ID || got.Account != "acme" || got.RequestsTotal != 7 || got.Checkpoint.OutputOffset != 99 ||
				!got.CreatedAt.Equal(t0) || got.Spec.Labels[1] != "support" || got.Status != batch.StatusPending {
				t.Errorf("Job = %+v", got)
			}
		})
	}

	if err := db.CreateJob(ctx, newJob("batch_a", "globex", t0, batch.StatusPending)); !errors.Is(err, batch.ErrConflict) {
		t.Errorf("duplicate CreateJob = %v, want ErrConflict", err)
	}
	if got, err := db.Job(ctx, "", "batch_a"); err != nil || got.Account != "acme" {
		t.Errorf("duplicate create overwrote the job: %+v, %v", got, err)
	}
}

func ids(jobs []*batch.Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

func equalIDs(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestJobsPagingNewestFirst(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)

	// 45 jobs for "a", created in shuffled order; two share a CreatedAt so the id breaks the tie.
	var want []string // newest first
	for i := 44; i >= 0; i-- {
		want = append(want, fmt.Sprintf("batch_a%02d", i))
	}
	for _, i := range []int{7, 0, 44, 13, 21} {
		mustCreate(t, db, newJob(fmt.Sprintf("batch_a%02d", i), "a", t0.Add(time.Duration(i)*time.Minute), batch.StatusPending))
	}
	for i := range 45 {
		switch i {
		case 7, 0, 44, 13, 21:
			continue
		}
		created := t0.Add(time.Duration(i) * time.Minute)
		if i == 31 {
			created = t0.Add(30 * time.Minute) // same instant as batch_a30; "batch_a31" > "batch_a30" so it comes first
		}
		mustCreate(t, db, newJob(fmt.Sprintf("batch_a%02d", i), "a", created, batch.StatusPending))
	}
	// Neighbouring accounts whose names share a prefix with "a", newer than all of a's jobs.
	mustCreate(t, db,
		newJob("batch_ab1", "ab", t0.Add(time.Hour*5), batch.StatusPending),
		newJob("batch_b1", "b", t0.Add(time.Hour*6), batch.StatusPending),
		newJob("batch_0", "0", t0.Add(-time.Hour), batch.StatusPending),
	)
	db = reopen(t, db, path)

	var got []string
	after := ""
	for page := 0; ; page++ {
		jobs, err := db.Jobs(ctx, "a", after, "", 20)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		if len(jobs) == 0 {
			break
		}
		if page > 3 {
			t.Fatal("paging does not terminate")
		}
		if wantLen := []int{20, 20, 5}[page]; len(jobs) != wantLen {
			t.Errorf("page %d has %d jobs, want %d", page, len(jobs), wantLen)
		}
		got = append(got, ids(jobs)...)
		after = jobs[len(jobs)-1].ID
	}
	if !equalIDs(got, want) {
		t.Errorf("paged ids =\n%v\nwant\n%v", got, want)
	}

	for _, tc := range []struct {
		account, after string
		limit          int
		want           []string
	}{
		{"ab", "", 0, []string{"batch_ab1"}},
		{"b", "", 0, []string{"batch_b1"}},
		{"0", "", 0, []string{"batch_0"}},
		{"nobody", "", 0, nil},
		{"a", "", 3, want[:3]},
		{"a", "batch_a31", 2, []string{"batch_a30", "batch_a29"}},
		{"a", "batch_a00", 10, nil},
	} {
		jobs, err := db.Jobs(ctx, tc.account, tc.after, "", tc.limit)
		if err != nil {
			t.Errorf("Jobs(%q, %q, %d): %v", tc.account, tc.after, tc.limit, err)
			continue
		}
		if !equalIDs(ids(jobs), tc.want) {
			t.Errorf("Jobs(%q, %q, %d) = %v, want %v", tc.account, tc.after, tc.limit, ids(jobs), tc.want)
		}
	}

	// A cursor must be one of the account's own jobs.
	for _, after := range []string{"batch_b1", "batch_missing"} {
		if _, err := db.Jobs(ctx, "a", after, "", 10); !errors.Is(err, batch.ErrNotFound) {
			t.Errorf("Jobs with cursor %s = %v, want ErrNotFound", after, err)
		}
	}
	if _, err := db.Jobs(ctx, "", "", "", 10); err == nil {
		t.Error("Jobs with an empty account succeeded")
	}
}

func TestUpdateJob(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	mustCreate(t, db, newJob("batch_u", "acme", t0, batch.StatusProcessing))

	got, err := db.UpdateJob(ctx, "batch_u", func(j *batch.Job) error {
		j.Checkpoint.InputOffset = 1234
		j.Checkpoint.Completed = 10
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateJob: %v", err)
	}
	if got.Checkpoint.InputOffset != 1234 {
		t.Errorf("returned job = %+v", got.Checkpoint)
	}
	db = reopen(t, db, path)
	if j, err := db.Job(ctx, "acme", "batch_u"); err != nil || j.Checkpoint.InputOffset != 1234 || j.Checkpoint.Completed != 10 {
		t.Fatalf("after reopen: %+v, %v", j, err)
	}

	errStop := errors.New("stop")
	for _, tc := range []struct {
		name    string
		fn      func(*batch.Job) error
		wantErr func(error) bool
	}{
		{"fn error returned as is", func(j *batch.Job) error { j.Checkpoint.InputOffset = 1; return errStop },
			func(err error) bool { return err == errStop }},
		{"id changed", func(j *batch.Job) error { j.Checkpoint.InputOffset = 2; j.ID = "batch_other"; return nil },
			func(err error) bool { return err != nil }},
		{"account changed", func(j *batch.Job) error { j.Checkpoint.InputOffset = 3; j.Account = "globex"; return nil },
			func(err error) bool { return err != nil }},
		{"created_at changed", func(j *batch.Job) error { j.Checkpoint.InputOffset = 4; j.CreatedAt = t0.Add(time.Hour); return nil },
			func(err error) bool { return err != nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := db.UpdateJob(ctx, "batch_u", tc.fn); !tc.wantErr(err) || got != nil {
				t.Fatalf("UpdateJob = %v, %v", got, err)
			}
			j, err := db.Job(ctx, "acme", "batch_u")
			if err != nil || j.Checkpoint.InputOffset != 1234 {
				t.Errorf("a refused update was written: %+v, %v", j, err)
			}
		})
	}
	if _, err := db.Job(ctx, "", "batch_other"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("changing the id created a job: %v", err)
	}
	if jobs, err := db.Jobs(ctx, "globex", "", "", 0); err != nil || len(jobs) != 0 {
		t.Errorf("changing the account indexed the job elsewhere: %v, %v", ids(jobs), err)
	}

	called := false
	if _, err := db.UpdateJob(ctx, "batch_missing", func(*batch.Job) error { called = true; return nil }); !errors.Is(err, batch.ErrNotFound) || called {
		t.Errorf("UpdateJob(unknown) = %v (fn called: %v), want ErrNotFound", err, called)
	}
}

func TestStartJob(t *testing.T) {
	ctx := context.Background()
	start := t0.Add(time.Hour)
	for _, tc := range []struct {
		name      string
		status    batch.Status
		account   string // caller's account
		others    []batch.Status
		maxActive int
		wantErr   error
	}{
		{"pending", batch.StatusPending, "acme", nil, 1, nil},
		{"failed resumes", batch.StatusFailed, "acme", nil, 1, nil},
		{"any account", batch.StatusPending, "", nil, 1, nil},
		{"processing", batch.StatusProcessing, "acme", nil, 1, batch.ErrConflict},
		{"completed", batch.StatusCompleted, "acme", nil, 1, batch.ErrConflict},
		{"other account", batch.StatusPending, "globex", nil, 1, batch.ErrNotFound},
		{"account busy", batch.StatusPending, "acme", []batch.Status{batch.StatusProcessing}, 1, batch.ErrConflict},
		{"maxActive 0 means 1", batch.StatusPending, "acme", []batch.Status{batch.StatusProcessing}, 0, batch.ErrConflict},
		{"room for two", batch.StatusPending, "acme", []batch.Status{batch.StatusProcessing}, 2, nil},
		{"inactive siblings", batch.StatusPending, "acme", []batch.Status{batch.StatusCompleted, batch.StatusFailed, batch.StatusPending}, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTest(t)
			j := newJob("batch_s", "acme", t0, tc.status)
			j.Error = "cancelled"
			j.CancelRequested = true
			j.StartedAt = t0.Add(time.Minute)
			j.CompletedAt = t0.Add(2 * time.Minute)
			j.Checkpoint = batch.Checkpoint{InputOffset: 500, OutputOffset: 300, Index: 4}
			mustCreate(t, db, j)
			for i, s := range tc.others {
				mustCreate(t, db, newJob(fmt.Sprintf("batch_o%d", i), "acme", t0.Add(time.Duration(i+1)*time.Second), s))
			}
			// Another account's processing job never counts against acme.
			mustCreate(t, db, newJob("batch_g", "globex", t0, batch.StatusProcessing))

			got, err := db.StartJob(ctx, tc.account, "batch_s", tc.maxActive, start)
			stored, gerr := db.Job(ctx, "acme", "batch_s")
			if gerr != nil {
				t.Fatal(gerr)
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || got != nil {
					t.Fatalf("StartJob = %v, %v; want %v", got, err, tc.wantErr)
				}
				if stored.Status != tc.status || stored.Error != "cancelled" {
					t.Errorf("a refused start changed the job: %+v", stored)
				}
				return
			}
			if err != nil {
				t.Fatalf("StartJob: %v", err)
			}
			for _, j := range []*batch.Job{got, stored} {
				if j.Status != batch.StatusProcessing || !j.StartedAt.Equal(start) || j.Error != "" || j.CancelRequested ||
					!j.CompletedAt.IsZero() || j.Checkpoint.InputOffset != 500 || j.Checkpoint.Index != 4 {
					t.Errorf("started job = %+v", j)
				}
			}
		})
	}
}

// Racing starts must leave exactly one winner: the check and the state change are one
// write transaction.
func TestStartJobRace(t *testing.T) {
	for _, tc := range []struct {
		name string
		jobs []string
	}{
		{"one job", []string{"batch_r1"}},
		{"two jobs of one account", []string{"batch_r1", "batch_r2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db, _ := openTest(t)
			for _, id := range tc.jobs {
				mustCreate(t, db, newJob(id, "acme", t0, batch.StatusPending))
			}
			const racers = 32
			var (
				wg      sync.WaitGroup
				ready   = make(chan struct{})
				results = make([]error, racers)
			)
			for i := range racers {
				wg.Go(func() {
					<-ready
					_, results[i] = db.StartJob(ctx, "acme", tc.jobs[i%len(tc.jobs)], 1, t0)
				})
			}
			close(ready)
			wg.Wait()

			wins := 0
			for i, err := range results {
				switch {
				case err == nil:
					wins++
				case !errors.Is(err, batch.ErrConflict):
					t.Errorf("racer %d: %v, want ErrConflict", i, err)
				}
			}
			if wins != 1 {
				t.Errorf("%d StartJob calls won, want exactly 1", wins)
			}
			running, err := db.JobsByStatus(ctx, batch.StatusProcessing)
			if err != nil {
				t.Fatal(err)
			}
			if len(running) != 1 {
				t.Errorf("%d jobs processing, want 1: %v", len(running), ids(running))
			}
		})
	}
}

func TestDeleteJob(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	mustCreate(t, db,
		newJob("batch_keep", "acme", t0, batch.StatusCompleted),
		newJob("batch_del", "acme", t0.Add(time.Minute), batch.StatusFailed),
		newJob("batch_run", "acme", t0.Add(2*time.Minute), batch.StatusProcessing),
	)

	if _, err := db.DeleteJob(ctx, "globex", "batch_del"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("DeleteJob(other account) = %v, want ErrNotFound", err)
	}
	if _, err := db.DeleteJob(ctx, "acme", "batch_missing"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("DeleteJob(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := db.DeleteJob(ctx, "acme", "batch_run"); !errors.Is(err, batch.ErrConflict) {
		t.Errorf("DeleteJob(processing) = %v, want ErrConflict", err)
	}

	got, err := db.DeleteJob(ctx, "acme", "batch_del")
	if err != nil {
		t.Fatalf("DeleteJob: %v", err)
	}
	if got.ID != "batch_del" || got.OutputKey != "jobs/batch_del/results.ndjson" {
		t.Errorf("deleted job = %+v", got)
	}

	db = reopen(t, db, path)
	if _, err := db.Job(ctx, "", "batch_del"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("Job after delete = %v, want ErrNotFound", err)
	}
	jobs, err := db.Jobs(ctx, "acme", "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"batch_run", "batch_keep"}; !equalIDs(ids(jobs), want) {
		t.Errorf("Jobs after delete = %v, want %v", ids(jobs), want)
	}
	if _, err := db.Job(ctx, "acme", "batch_run"); err != nil {
		t.Errorf("refused delete removed the job: %v", err)
	}
	// The index entry is gone too, not just skipped.
	err = db.bolt.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket([]byte(bucketAccountJobs)).Stats().KeyN; n != 2 {
			return fmt.Errorf("account_jobs has %d entries, want 2", n)
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
