package store

import (
	"context"
	"errors"
	"slices"
	"testing"

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
