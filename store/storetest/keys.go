package storetest

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
)

var (
	secretRe = regexp.MustCompile(`^sk-[A-Za-z0-9]{32}$`)
	keyIDRe  = regexp.MustCompile(`^key_[a-z0-9]{12}$`)
)

func testCreateKeyAuthenticate(t *testing.T, b *backend) {
	db := b.open(t)
	secret, k, err := db.CreateKey(ctx, "acme", true)
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	if !secretRe.MatchString(secret) || !keyIDRe.MatchString(k.ID) {
		t.Errorf("secret %q or id %q has the wrong form", secret, k.ID)
	}
	if k.Prefix != secret[:8] || k.Account != "acme" || !k.Admin || k.CreatedAt.IsZero() || k.Revoked() {
		t.Errorf("key = %+v", k)
	}
	secret2, k2, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	if secret2 == secret || k2.ID == k.ID {
		t.Fatal("two keys share a secret or id")
	}
	db = b.reopen(t, db)
	if got, err := db.Authenticate(ctx, secret); err != nil || *got != *k {
		t.Errorf("Authenticate = %+v, %v; want %+v", got, err, k)
	}
	if got, err := db.Authenticate(ctx, secret2); err != nil || got.ID != k2.ID || got.Admin {
		t.Errorf("Authenticate(second) = %+v, %v", got, err)
	}
	for _, account := range []string{"", "a\x00b"} {
		if _, _, err := db.CreateKey(ctx, account, false); err == nil {
			t.Errorf("CreateKey(%q) succeeded", account)
		}
	}
}

func testAuthenticateRejects(t *testing.T, b *backend) {
	db := b.open(t)
	secret, _, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	revoked, rk, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeKey(ctx, rk.ID); err != nil {
		t.Fatal(err)
	}
	flipped := []byte(secret)
	flipped[len(flipped)-1] ^= 1
	for name, s := range map[string]string{
		"empty":        "",
		"unknown":      store.NewSecret(),
		"one char off": string(flipped),
		"prefix only":  secret[:8],
		"with space":   secret + " ",
		"revoked":      revoked,
		"key id":       rk.ID,
	} {
		if k, err := db.Authenticate(ctx, s); !errors.Is(err, store.ErrInvalidKey) || k != nil {
			t.Errorf("%s: Authenticate = %v, %v; want ErrInvalidKey", name, k, err)
		}
	}
}

func revokedAt(t *testing.T, db Store, id string) time.Time {
	t.Helper()
	keys, err := db.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.ID == id {
			return k.RevokedAt
		}
	}
	t.Fatalf("key %s not listed", id)
	return time.Time{}
}

func testRevokeKey(t *testing.T, b *backend) {
	db := b.open(t)
	secret, k, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateKey(ctx, "other", false); err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountKeys(ctx); err != nil || n != 2 {
		t.Fatalf("CountKeys = %d, %v; want 2", n, err)
	}
	// Authenticated once before the revoke, so a cache (if any) holds it.
	if _, err := db.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeKey(ctx, "key_doesnotexist"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("RevokeKey(unknown) = %v, want ErrNotFound", err)
	}
	if err := db.RevokeKey(ctx, k.ID); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	db = b.reopen(t, db)
	if _, err := db.Authenticate(ctx, secret); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Authenticate(revoked) = %v, want ErrInvalidKey", err)
	}
	if n, err := db.CountKeys(ctx); err != nil || n != 1 {
		t.Errorf("CountKeys = %d, %v; want 1", n, err)
	}
	first := revokedAt(t, db, k.ID)
	if first.IsZero() {
		t.Fatal("RevokedAt not set")
	}
	// Revoking again is a no-op that keeps the first revocation time.
	if got, err := db.Revoke(ctx, k.ID); err != nil || !got.RevokedAt.Equal(first) {
		t.Fatalf("second Revoke = %+v, %v", got, err)
	}
	if again := revokedAt(t, db, k.ID); !again.Equal(first) {
		t.Errorf("RevokedAt changed from %v to %v", first, again)
	}
}

func testKeysOldestFirst(t *testing.T, b *backend) {
	db := b.open(t)
	var want []string
	for _, account := range []string{"c", "a", "b", "a"} {
		_, k, err := db.CreateKey(ctx, account, false)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, k.ID)
	}
	if err := db.RevokeKey(ctx, want[1]); err != nil {
		t.Fatal(err)
	}
	keys, err := db.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range keys {
		got = append(got, k.ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Keys = %v, want %v (oldest first, revoked included)", got, want)
	}
}

func testImportKey(t *testing.T, b *backend) {
	db := b.open(t)
	const secret = "sk-configured-secret-0001"
	k1, err := db.ImportKey(ctx, "acme", secret, false)
	if err != nil {
		t.Fatalf("ImportKey: %v", err)
	}
	if k1.Prefix != secret[:8] || k1.Account != "acme" || k1.Admin {
		t.Errorf("imported key = %+v", k1)
	}
	db = b.reopen(t, db)
	k2, err := db.ImportKey(ctx, "acme", secret, false)
	if err != nil || *k2 != *k1 {
		t.Errorf("re-import = %+v, %v; want the same key %+v", k2, err, k1)
	}
	if n, err := db.CountKeys(ctx); err != nil || n != 1 {
		t.Errorf("CountKeys = %d, %v; want 1 after importing twice", n, err)
	}
	// A changed configuration moves the same key; it does not make a second one.
	k3, err := db.ImportKey(ctx, "globex", secret, true)
	if err != nil || k3.ID != k1.ID || k3.Account != "globex" || !k3.Admin {
		t.Errorf("re-import with new account/admin = %+v, %v", k3, err)
	}
	if got, err := db.Authenticate(ctx, secret); err != nil || got.Account != "globex" || !got.Admin {
		t.Errorf("Authenticate after re-import = %+v, %v", got, err)
	}
	// A revoked configured key stays revoked across re-imports (restarts).
	if _, _, err := db.CreateKey(ctx, "ops", true); err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeKey(ctx, k1.ID); err != nil {
		t.Fatal(err)
	}
	k4, err := db.ImportKey(ctx, "globex", secret, true)
	if err != nil || k4.ID != k1.ID || !k4.Revoked() {
		t.Errorf("re-import of a revoked key = %+v, %v; want the same, still revoked", k4, err)
	}
	if _, err := db.Authenticate(ctx, secret); !errors.Is(err, store.ErrInvalidKey) {
		t.Errorf("Authenticate after re-importing a revoked key = %v, want ErrInvalidKey", err)
	}
	// A short configured key keeps at most a third of itself as its display prefix.
	for _, tc := range []struct{ secret, prefix string }{
		{"sk-acme-1", "sk-"},
		{"sk-acme-test-1", "sk-a"},
		{"sk-configured-secret-0002", "sk-confi"},
	} {
		k, err := db.ImportKey(ctx, "acme", tc.secret, false)
		if err != nil || k.Prefix != tc.prefix {
			t.Errorf("ImportKey(%d chars) = %+v, %v; want prefix %q", len(tc.secret), k, err, tc.prefix)
			continue
		}
		if got, err := db.Authenticate(ctx, tc.secret); err != nil || got.ID != k.ID {
			t.Errorf("Authenticate(%d-char key) = %v, %v", len(tc.secret), got, err)
		}
	}
}

func testImportKeyRejects(t *testing.T, b *backend) {
	db := b.open(t)
	for name, tc := range map[string]struct{ account, secret string }{
		"short secret":     {"acme", "sk-shrt"},
		"space in secret":  {"acme", "sk-configured secret"},
		"non-ascii secret": {"acme", "sk-configuré-secret-x"},
		"empty account":    {"", "sk-configured-secret-0001"},
		"NUL in account":   {"a\x00", "sk-configured-secret-0001"},
	} {
		if _, err := db.ImportKey(ctx, tc.account, tc.secret, false); err == nil {
			t.Errorf("%s: ImportKey succeeded", name)
		}
	}
	if n, err := db.CountKeys(ctx); err != nil || n != 0 {
		t.Errorf("CountKeys = %d, %v; want 0", n, err)
	}
}

func testRevokeLastAdmin(t *testing.T, b *backend) {
	db := b.open(t)
	_, a, err := db.CreateKey(ctx, "ops", true)
	if err != nil {
		t.Fatal(err)
	}
	bSecret, kb, err := db.CreateKey(ctx, "ops", true)
	if err != nil {
		t.Fatal(err)
	}
	_, user, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeKey(ctx, a.ID); err != nil {
		t.Fatalf("revoking one of two admin keys: %v", err)
	}
	if err := db.RevokeKey(ctx, kb.ID); !errors.Is(err, batch.ErrConflict) {
		t.Fatalf("revoking the last admin key = %v; want ErrConflict", err)
	}
	if _, err := db.Authenticate(ctx, bSecret); err != nil {
		t.Errorf("the last admin key stopped working after a refused revoke: %v", err)
	}
	if err := db.RevokeKey(ctx, a.ID); err != nil {
		t.Errorf("revoking an already revoked admin key again = %v; want nil (no-op)", err)
	}
	if err := db.RevokeKey(ctx, user.ID); err != nil {
		t.Errorf("revoking a non-admin key next to one admin key: %v", err)
	}
}

// Two admins revoking each other at once: one revoke wins, one admin key is left.
func testRevokeAdminsRace(t *testing.T, b *backend) {
	db := b.open(t)
	_, a, err := db.CreateKey(ctx, "ops", true)
	if err != nil {
		t.Fatal(err)
	}
	_, kb, err := db.CreateKey(ctx, "ops", true)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	ready := make(chan struct{})
	errs := make([]error, 2)
	for i, id := range []string{a.ID, kb.ID} {
		wg.Go(func() {
			<-ready
			errs[i] = db.RevokeKey(ctx, id)
		})
	}
	close(ready)
	wg.Wait()
	if (errs[0] == nil) == (errs[1] == nil) {
		t.Fatalf("revokes = %v, %v; want exactly one to succeed", errs[0], errs[1])
	}
	if n, err := db.CountKeys(ctx); err != nil || n != 1 {
		t.Fatalf("CountKeys = %d, %v; want 1", n, err)
	}
}

func spec(labels ...string) classify.Spec { return classify.Spec{Labels: labels} }

func testClassifierVersions(t *testing.T, b *backend) {
	db := b.open(t)
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
	for _, c := range []struct{ account, name string }{{"acme", "tickets-2"}, {"acme", "ticket"}, {"globex", "tickets"}} {
		if _, err := db.SaveClassifier(ctx, c.account, c.name, spec("p")); err != nil {
			t.Fatal(err)
		}
	}
	db = b.reopen(t, db)
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
	if n, err := db.DeleteClassifier(ctx, "acme", "tickets"); err != nil || n != 3 {
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
	if c, err := db.SaveClassifier(ctx, "acme", "tickets", spec("new")); err != nil || c.Version != 4 {
		t.Fatalf("save after delete = %+v, %v; want version 4", c, err)
	}
	if _, err := db.SaveClassifier(ctx, "acme", "Bad", spec("a")); err == nil {
		t.Fatal("SaveClassifier accepted an invalid name")
	}
}

// Saves at once get distinct versions, 1..n.
func testClassifierSaveRace(t *testing.T, b *backend) {
	db := b.open(t)
	const n = 8
	var wg sync.WaitGroup
	versions := make([]int, n)
	for i := range n {
		wg.Go(func() {
			c, err := db.SaveClassifier(ctx, "acme", "tickets", spec("a"))
			if err != nil {
				t.Error(err)
				return
			}
			versions[i] = c.Version
		})
	}
	wg.Wait()
	slices.Sort(versions)
	if want := []int{1, 2, 3, 4, 5, 6, 7, 8}; !slices.Equal(versions, want) {
		t.Fatalf("versions = %v, want %v", versions, want)
	}
}

func testUsageRecordAndRange(t *testing.T, b *backend) {
	db := b.open(t)
	d1 := time.Date(2025, 3, 1, 23, 59, 0, 0, time.UTC)
	d2 := time.Date(2025, 3, 2, 0, 1, 0, 0, time.FixedZone("x", 3600)) // 2025-03-01 23:01 UTC
	d3 := time.Date(2025, 3, 5, 10, 0, 0, 0, time.UTC)
	for _, r := range []store.UsageDelta{
		{Account: "acme", Day: d1, Usage: store.Usage{Requests: 1, RealtimeTokens: 10}},
		{Account: "acme", Day: d2, Usage: store.Usage{Requests: 2, RealtimeTokens: 5}},
		{Account: "acme", Day: d3, Usage: store.Usage{Jobs: 1, BatchLines: 7, BatchTokens: 70}},
		{Account: "acmex", Day: d1, Usage: store.Usage{Requests: 100}},
		{Account: "globex", Day: d1, Usage: store.Usage{Requests: 100}},
	} {
		if err := db.RecordUsages(ctx, []store.UsageDelta{r}); err != nil {
			t.Fatal(err)
		}
	}
	// Several deltas in one call, two of them for one day.
	if err := db.RecordUsages(ctx, []store.UsageDelta{
		{Account: "acme", Day: d1, Usage: store.Usage{Requests: 1}},
		{Account: "acme", Day: d1, Usage: store.Usage{Requests: 1}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordUsages(ctx, []store.UsageDelta{{Account: "", Day: d1}}); err == nil {
		t.Error("RecordUsages accepted an empty account")
	}
	days, err := db.UsageRange(ctx, "acme", time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	want := []store.UsageDay{
		{Date: "2025-03-01", Usage: store.Usage{Requests: 5, RealtimeTokens: 15}},
		{Date: "2025-03-05", Usage: store.Usage{Jobs: 1, BatchLines: 7, BatchTokens: 70}},
	}
	if !slices.Equal(days, want) {
		t.Fatalf("UsageRange = %+v, want %+v", days, want)
	}
	// Both ends are inclusive; a range without rows is empty.
	if days, _ = db.UsageRange(ctx, "acme", d3, d3); len(days) != 1 || days[0].Date != "2025-03-05" {
		t.Fatalf("one-day range = %+v", days)
	}
	if days, _ = db.UsageRange(ctx, "initech", d1, d3); len(days) != 0 {
		t.Fatalf("other account = %+v", days)
	}
}

// The transition to completed charges the job once; progress feeds the totals.
func testUpdateJobBooksUsage(t *testing.T, b *backend) {
	db := b.open(t)
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
	if err := db.RecordUsages(ctx, []store.UsageDelta{{Account: "acme", Day: done, Usage: store.Usage{Requests: 2}}}); err != nil {
		t.Fatal(err)
	}
	days, err := db.UsageRange(ctx, "acme", done, done)
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.UsageDay{{Date: "2025-04-02", Usage: store.Usage{Requests: 2, Jobs: 1, BatchLines: 6, BatchTokens: 50}}}; !slices.Equal(days, want) {
		t.Fatalf("usage = %+v, want %+v", days, want)
	}
	st, err := db.JobStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Totals != (store.BatchTotals{LinesCompleted: 5, LinesFailed: 1, Tokens: 50}) || st.ByStatus[batch.StatusCompleted] != 1 {
		t.Fatalf("JobStats = %+v", st)
	}
}

func testCancelledContext(t *testing.T, b *backend) {
	db := b.open(t)
	if err := db.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := db.Ping(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Ping: err = %v, want context.Canceled", err)
	}
	if _, _, err := db.CreateKey(cctx, "acme", false); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateKey: err = %v, want context.Canceled", err)
	}
	if n, err := db.CountKeys(ctx); err != nil || n != 0 {
		t.Errorf("CountKeys = %d, %v; want 0 keys after a cancelled create", n, err)
	}
}
