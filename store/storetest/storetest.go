// Package storetest is one behavioural test suite for every implementation of the
// appliance's store: the bbolt store.DB (single node) and the JetStream KV kvstore.Store
// (cluster mode). An implementation passes when Run passes; what only one backend can
// do (bbolt's file lock, restore of a file) is tested in its own package.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
)

// Store is every method the appliance uses, as the suite tests them.
type Store interface {
	Ping(ctx context.Context) error
	Close() error
	CreateJob(ctx context.Context, j *batch.Job) error
	Job(ctx context.Context, account, id string) (*batch.Job, error)
	Jobs(ctx context.Context, account, after string, status batch.Status, limit int) ([]*batch.Job, error)
	JobsByStatus(ctx context.Context, status batch.Status) ([]*batch.Job, error)
	UpdateJob(ctx context.Context, id string, fn func(*batch.Job) error) (*batch.Job, error)
	StartJob(ctx context.Context, account, id string, maxActive int, now time.Time) (*batch.Job, error)
	DeleteJob(ctx context.Context, account, id string) (*batch.Job, error)
	FinishedBefore(ctx context.Context, t time.Time) ([]*batch.Job, error)
	DeleteFinishedBefore(ctx context.Context, id string, t time.Time) (bool, error)

	PutReview(ctx context.Context, account, id string, r store.Review) error
	DeleteReview(ctx context.Context, account, id string, index int64) error
	Reviews(ctx context.Context, account, id string) ([]store.Review, error)

	CreateKey(ctx context.Context, account string, admin bool) (string, *store.Key, error)
	ImportKey(ctx context.Context, account, secret string, admin bool) (*store.Key, error)
	Authenticate(ctx context.Context, secret string) (*store.Key, error)
	Keys(ctx context.Context) ([]*store.Key, error)
	Revoke(ctx context.Context, id string) (*store.Key, error)
	RevokeKey(ctx context.Context, id string) error
	CountKeys(ctx context.Context) (int, error)

	SaveClassifier(ctx context.Context, account, name string, spec classify.Spec) (*store.Classifier, error)
	Classifier(ctx context.Context, account, name string, version int) (*store.Classifier, error)
	Classifiers(ctx context.Context, account string) ([]store.ClassifierSummary, error)
	DeleteClassifier(ctx context.Context, account, name string) (int, error)

	RecordUsages(ctx context.Context, deltas []store.UsageDelta) error
	UsageRange(ctx context.Context, account string, from, to time.Time) ([]store.UsageDay, error)
	JobStats(ctx context.Context) (store.JobStats, error)
	AllJobs(ctx context.Context, offset, limit int) ([]*batch.Job, int, error)
}

// Backend makes the stores the suite tests.
type Backend struct {
	// Open returns a new, empty store whose clock is now; it is closed when t ends.
	Open func(t *testing.T, now func() time.Time) Store
	// Reopen closes s and returns a store on the same data with the same clock, to show
	// that what was written is durable (a bbolt file reopened, a bucket bound again).
	Reopen func(t *testing.T, s Store) Store
}

// backend is a Backend with the clock of one test.
type backend struct {
	Backend
	now func() time.Time
}

func (b *backend) open(t *testing.T) Store { return b.Open(t, b.now) }

func (b *backend) reopen(t *testing.T, s Store) Store {
	t.Helper()
	return b.Reopen(t, s)
}

// Run runs the suite; each test gets a store of its own.
func Run(t *testing.T, be Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, *backend)
	}{
		{"CreateJobAndGet", testCreateJobAndGet},
		{"CreateJobDefaultsAndRejects", testCreateJobDefaultsAndRejects},
		{"JobsPagingNewestFirst", testJobsPagingNewestFirst},
		{"JobsPageSize", testJobsPageSize},
		{"JobsByStatus", testJobsByStatus},
		{"UpdateJob", testUpdateJob},
		{"StartJob", testStartJob},
		{"StartJobConflictMessages", testStartJobConflictMessages},
		{"StartJobRace", testStartJobRace},
		{"StartJobAfterFinish", testStartJobAfterFinish},
		{"DeleteJob", testDeleteJob},
		{"Retention", testRetention},
		{"Reviews", testReviews},
		{"CreateKeyAuthenticate", testCreateKeyAuthenticate},
		{"AuthenticateRejects", testAuthenticateRejects},
		{"RevokeKey", testRevokeKey},
		{"KeysOldestFirst", testKeysOldestFirst},
		{"ImportKey", testImportKey},
		{"ImportKeyRejects", testImportKeyRejects},
		{"RevokeLastAdmin", testRevokeLastAdmin},
		{"RevokeAdminsRace", testRevokeAdminsRace},
		{"ClassifierVersions", testClassifierVersions},
		{"ClassifierSaveRace", testClassifierSaveRace},
		{"UsageRecordAndRange", testUsageRecordAndRange},
		{"UpdateJobBooksUsage", testUpdateJobBooksUsage},
		{"CancelledContext", testCancelledContext},
		{"AllJobs", testAllJobs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
			tc.fn(t, &backend{Backend: be, now: clk.now})
		})
	}
}

// clock is deterministic: every call is one second after the previous one.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

var (
	ctx = context.Background()
	t0  = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

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

func mustCreate(t *testing.T, db Store, jobs ...*batch.Job) {
	t.Helper()
	for _, j := range jobs {
		if err := db.CreateJob(ctx, j); err != nil {
			t.Fatalf("CreateJob(%s): %v", j.ID, err)
		}
	}
}

func ids(jobs []*batch.Job) []string {
	out := make([]string, len(jobs))
	for i, j := range jobs {
		out[i] = j.ID
	}
	return out
}

func testCreateJobAndGet(t *testing.T, b *backend) {
	db := b.open(t)
	j := newJob("batch_a", "acme", t0, batch.StatusPending)
	j.RequestsTotal = 7
	j.Checkpoint.OutputOffset = 99
	mustCreate(t, db, j)
	db = b.reopen(t, db)
	for _, tc := range []struct {
		name, account, id string
		wantErr           error
	}{
		{"own account", "acme", "batch_a", nil},
		{"any account", "", "batch_a", nil},
		{"other account", "globex", "batch_a", batch.ErrNotFound},
		{"unknown", "acme", "batch_zzz", batch.ErrNotFound},
	} {
		got, err := db.Job(ctx, tc.account, tc.id)
		if !errors.Is(err, tc.wantErr) {
			t.Fatalf("%s: Job = %v, want %v", tc.name, err, tc.wantErr)
		}
		if tc.wantErr != nil {
			// Another account's job must be indistinguishable from a missing one.
			if want := fmt.Sprintf("not found: job %s", tc.id); err.Error() != want {
				t.Errorf("%s: error = %q, want %q", tc.name, err, want)
			}
			continue
		}
		if got.ID != j.ID || got.Account != "acme" || got.RequestsTotal != 7 || got.Checkpoint.OutputOffset != 99 ||
			!got.CreatedAt.Equal(t0) || got.Spec.Labels[1] != "support" || got.Status != batch.StatusPending {
			t.Errorf("%s: Job = %+v", tc.name, got)
		}
	}
	if err := db.CreateJob(ctx, newJob("batch_a", "globex", t0, batch.StatusPending)); !errors.Is(err, batch.ErrConflict) {
		t.Errorf("duplicate CreateJob = %v, want ErrConflict", err)
	}
	if got, err := db.Job(ctx, "", "batch_a"); err != nil || got.Account != "acme" {
		t.Errorf("duplicate create overwrote the job: %+v, %v", got, err)
	}
	if jobs, err := db.Jobs(ctx, "globex", "", "", 0); err != nil || len(jobs) != 0 {
		t.Errorf("a refused duplicate was listed for its account: %v, %v", ids(jobs), err)
	}
}

func testCreateJobDefaultsAndRejects(t *testing.T, b *backend) {
	db := b.open(t)
	mustCreate(t, db, &batch.Job{ID: "batch_d", Account: "acme"})
	got, err := db.Job(ctx, "acme", "batch_d")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != batch.StatusPending || got.CreatedAt.IsZero() {
		t.Errorf("defaults not applied: %+v", got)
	}
	for name, bad := range map[string]*batch.Job{
		"no id":       {Account: "acme"},
		"no account":  {ID: "batch_x"},
		"NUL account": {ID: "batch_y", Account: "ac\x00me"},
	} {
		if err := db.CreateJob(ctx, bad); err == nil {
			t.Errorf("%s: CreateJob succeeded", name)
		}
	}
}

func testJobsPagingNewestFirst(t *testing.T, b *backend) {
	db := b.open(t)
	// 45 jobs for "a"; two share a CreatedAt so the id breaks the tie.
	var want []string // newest first
	for i := 44; i >= 0; i-- {
		want = append(want, fmt.Sprintf("batch_a%02d", i))
	}
	for _, i := range []int{7, 0, 44, 13, 21, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 22, 23, 24,
		25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43} {
		created := t0.Add(time.Duration(i) * time.Minute)
		if i == 31 {
			created = t0.Add(30 * time.Minute) // same instant as batch_a30; "batch_a31" > "batch_a30" so it comes first
		}
		mustCreate(t, db, newJob(fmt.Sprintf("batch_a%02d", i), "a", created, batch.StatusPending))
	}
	// Neighbouring accounts whose names share a prefix with "a", and one before 1970.
	mustCreate(t, db,
		newJob("batch_ab1", "ab", t0.Add(time.Hour*5), batch.StatusPending),
		newJob("batch_b1", "b", t0.Add(time.Hour*6), batch.StatusPending),
		newJob("batch_0", "0", t0.Add(-time.Hour), batch.StatusPending),
		newJob("batch_old2", "old", time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), batch.StatusPending),
		newJob("batch_old1", "old", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), batch.StatusPending),
		newJob("batch_new", "old", t0, batch.StatusPending),
	)
	db = b.reopen(t, db)
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
	if !slices.Equal(got, want) {
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
		{"old", "", 0, []string{"batch_new", "batch_old2", "batch_old1"}},
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
		if !slices.Equal(ids(jobs), tc.want) && len(jobs)+len(tc.want) > 0 {
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
	done := newJob("batch_a_done", "a", t0.Add(-time.Minute), batch.StatusCompleted)
	mustCreate(t, db, done)
	if jobs, err := db.Jobs(ctx, "a", "", batch.StatusCompleted, 5); err != nil || !slices.Equal(ids(jobs), []string{"batch_a_done"}) {
		t.Errorf("Jobs(status completed) = %v, %v", ids(jobs), err)
	}
}

func testJobsPageSize(t *testing.T, b *backend) {
	db := b.open(t)
	for i := range 130 {
		mustCreate(t, db, newJob(fmt.Sprintf("batch_%03d", i), "acme", t0.Add(time.Duration(i)*time.Second), batch.StatusPending))
	}
	for _, tc := range []struct{ limit, want int }{{-1, 20}, {0, 20}, {1, 1}, {100, 100}, {101, 101}, {1000, 101}} {
		jobs, err := db.Jobs(ctx, "acme", "", "", tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != tc.want {
			t.Errorf("Jobs(limit %d) returned %d, want %d", tc.limit, len(jobs), tc.want)
		}
		if jobs[0].ID != "batch_129" {
			t.Errorf("Jobs(limit %d) starts at %s, want the newest", tc.limit, jobs[0].ID)
		}
	}
}

func testJobsByStatus(t *testing.T, b *backend) {
	db := b.open(t)
	mustCreate(t, db,
		newJob("batch_3", "b", t0.Add(3*time.Minute), batch.StatusProcessing),
		newJob("batch_1", "a", t0.Add(1*time.Minute), batch.StatusProcessing),
		newJob("batch_2", "a", t0.Add(2*time.Minute), batch.StatusPending),
		newJob("batch_4", "c", t0.Add(4*time.Minute), batch.StatusCompleted),
	)
	for _, tc := range []struct {
		status batch.Status
		want   []string
	}{
		{batch.StatusProcessing, []string{"batch_1", "batch_3"}},
		{batch.StatusPending, []string{"batch_2"}},
		{batch.StatusFailed, nil},
	} {
		jobs, err := db.JobsByStatus(ctx, tc.status)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(jobs), tc.want) && len(jobs)+len(tc.want) > 0 {
			t.Errorf("JobsByStatus(%s) = %v, want %v", tc.status, ids(jobs), tc.want)
		}
	}
}

func testUpdateJob(t *testing.T, b *backend) {
	db := b.open(t)
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
	db = b.reopen(t, db)
	if j, err := db.Job(ctx, "acme", "batch_u"); err != nil || j.Checkpoint.InputOffset != 1234 || j.Checkpoint.Completed != 10 {
		t.Fatalf("after update: %+v, %v", j, err)
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
		if got, err := db.UpdateJob(ctx, "batch_u", tc.fn); !tc.wantErr(err) || got != nil {
			t.Fatalf("%s: UpdateJob = %v, %v", tc.name, got, err)
		}
		if j, err := db.Job(ctx, "acme", "batch_u"); err != nil || j.Checkpoint.InputOffset != 1234 {
			t.Errorf("%s: a refused update was written: %+v, %v", tc.name, j, err)
		}
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

func testStartJob(t *testing.T, b *backend) {
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
		{"two busy of two", batch.StatusPending, "acme", []batch.Status{batch.StatusProcessing, batch.StatusProcessing}, 2, batch.ErrConflict},
		{"inactive siblings", batch.StatusPending, "acme", []batch.Status{batch.StatusCompleted, batch.StatusFailed, batch.StatusPending}, 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := b.open(t)
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

func testStartJobConflictMessages(t *testing.T, b *backend) {
	db := b.open(t)
	mustCreate(t, db,
		newJob("batch_done", "acme", t0, batch.StatusCompleted),
		newJob("batch_run", "acme", t0, batch.StatusProcessing),
		newJob("batch_new", "acme", t0, batch.StatusPending),
	)
	if _, err := db.StartJob(ctx, "acme", "batch_done", 1, t0); err == nil || !errors.Is(err, batch.ErrConflict) || err.Error() != "start: job batch_done is completed" {
		t.Errorf("StartJob(completed) = %v", err)
	}
	if _, err := db.StartJob(ctx, "acme", "batch_new", 1, t0); err == nil || !errors.Is(err, batch.ErrConflict) || err.Error() != "account already has 1 active job(s): batch_run" {
		t.Errorf("StartJob(busy account) = %v", err)
	}
}

// Racing starts must leave exactly one winner, whatever decides it: a bbolt write
// transaction, or the account's active slot created by compare-and-swap.
func testStartJobRace(t *testing.T, b *backend) {
	for _, tc := range []struct {
		name string
		jobs []string
	}{
		{"one job", []string{"batch_r1"}},
		{"two jobs of one account", []string{"batch_r1", "batch_r2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := b.open(t)
			for _, id := range tc.jobs {
				mustCreate(t, db, newJob(id, "acme", t0, batch.StatusPending))
			}
			const racers = 16
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

// A job that leaves processing frees its account for the next start.
func testStartJobAfterFinish(t *testing.T, b *backend) {
	db := b.open(t)
	mustCreate(t, db, newJob("batch_1", "acme", t0, batch.StatusPending), newJob("batch_2", "acme", t0, batch.StatusPending))
	if _, err := db.StartJob(ctx, "acme", "batch_1", 1, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := db.StartJob(ctx, "acme", "batch_2", 1, t0); !errors.Is(err, batch.ErrConflict) {
		t.Fatalf("second start while the first runs = %v, want ErrConflict", err)
	}
	for _, final := range []batch.Status{batch.StatusFailed, batch.StatusCompleted} {
		if _, err := db.UpdateJob(ctx, "batch_1", func(j *batch.Job) error { j.Status = final; return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := db.StartJob(ctx, "acme", "batch_2", 1, t0); err != nil {
			t.Fatalf("start after the other job became %s: %v", final, err)
		}
		if final == batch.StatusFailed {
			if _, err := db.UpdateJob(ctx, "batch_2", func(j *batch.Job) error { j.Status = batch.StatusFailed; return nil }); err != nil {
				t.Fatal(err)
			}
			if _, err := db.StartJob(ctx, "acme", "batch_1", 1, t0); err != nil {
				t.Fatalf("resume of the failed job: %v", err)
			}
		}
	}
}

func testDeleteJob(t *testing.T, b *backend) {
	db := b.open(t)
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
	db = b.reopen(t, db)
	if _, err := db.Job(ctx, "", "batch_del"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("Job after delete = %v, want ErrNotFound", err)
	}
	jobs, err := db.Jobs(ctx, "acme", "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"batch_run", "batch_keep"}; !slices.Equal(ids(jobs), want) {
		t.Errorf("Jobs after delete = %v, want %v", ids(jobs), want)
	}
	// The id is free again.
	mustCreate(t, db, newJob("batch_del", "acme", t0.Add(time.Hour), batch.StatusPending))
}

func testRetention(t *testing.T, b *backend) {
	db := b.open(t)
	cut := t0.Add(time.Hour)
	old := func(id string, s batch.Status, finished time.Time) *batch.Job {
		j := newJob(id, "acme", t0, s)
		j.FinishedAt = finished
		return j
	}
	mustCreate(t, db,
		old("batch_done_old", batch.StatusCompleted, t0),
		old("batch_failed_old", batch.StatusFailed, t0),
		old("batch_done_new", batch.StatusCompleted, cut.Add(time.Minute)),
		old("batch_run", batch.StatusProcessing, t0),
		old("batch_pending", batch.StatusPending, time.Time{}),
	)
	jobs, err := db.FinishedBefore(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	got := ids(jobs)
	slices.Sort(got)
	if want := []string{"batch_done_old", "batch_failed_old"}; !slices.Equal(got, want) {
		t.Fatalf("FinishedBefore = %v, want %v", got, want)
	}
	// A job that finished again after it was listed is kept.
	if _, err := db.UpdateJob(ctx, "batch_failed_old", func(j *batch.Job) error { j.FinishedAt = cut; return nil }); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]bool{"batch_done_old": true, "batch_failed_old": false, "batch_done_new": false, "batch_run": false, "batch_missing": false} {
		if ok, err := db.DeleteFinishedBefore(ctx, id, cut); err != nil || ok != want {
			t.Errorf("DeleteFinishedBefore(%s) = %v, %v; want %v", id, ok, err, want)
		}
	}
	if _, err := db.Job(ctx, "", "batch_done_old"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("swept job still there: %v", err)
	}
}
