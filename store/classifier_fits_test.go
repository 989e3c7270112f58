package store

import (
	"bytes"
	"context"
	"testing"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
)

// TestClassifierFit: a job's fit is kept with the version the job named, a later job's
// replaces it, other versions and deleted classifiers keep nothing, and deleting the
// classifier deletes its fits.
func TestClassifierFit(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	ab := classify.Spec{Labels: []string{"a", "b"}}
	for range 2 {
		if _, err := db.SaveClassifier(ctx, "acme", "desk", ab); err != nil {
			t.Fatal(err)
		}
	}
	job := &batch.Job{ID: "batch_1", Account: "acme", Classifier: "desk@v1", Spec: ab}
	if err := db.KeepClassifierFit(ctx, job, []byte("state one")); err != nil {
		t.Fatal(err)
	}
	job2 := *job
	job2.ID = "batch_2"
	if err := db.KeepClassifierFit(ctx, &job2, []byte("state two")); err != nil {
		t.Fatal(err)
	}
	c, err := db.Classifier(ctx, "acme", "desk", 1)
	if err != nil || c.Fit == nil || c.Fit.Job != "batch_2" || c.Fit.For != batch.FitHash(job.Spec) || c.Fit.Bytes != 9 {
		t.Fatalf("v1 after two jobs: %+v, %v", c, err)
	}
	if s, err := db.ClassifierFitState(ctx, "acme", "desk", 1); err != nil || !bytes.Equal(s, []byte("state two")) {
		t.Fatalf("v1's state %q, %v", s, err)
	}
	if s, err := db.ClassifierFitState(ctx, "acme", "desk", 2); err != nil || s != nil {
		t.Fatalf("v2's state %q, %v: want none", s, err)
	}
	if c, _ := db.Classifier(ctx, "acme", "desk", 2); c.Fit != nil {
		t.Fatalf("v2 has a fit: %+v", c.Fit)
	}
	// Inline labels, another account, a version that does not exist: nothing kept, no error.
	for _, j := range []batch.Job{{ID: "x", Account: "acme"}, {ID: "x", Account: "other", Classifier: "desk@v1"}, {ID: "x", Account: "acme", Classifier: "desk@v9"}} {
		if err := db.KeepClassifierFit(ctx, &j, []byte("stray")); err != nil {
			t.Fatalf("keep %+v: %v", j, err)
		}
	}
	if s, _ := db.ClassifierFitState(ctx, "acme", "desk", 9); s != nil {
		t.Fatalf("a missing version keeps %q", s)
	}
	if _, err := db.DeleteClassifier(ctx, "acme", "desk"); err != nil {
		t.Fatal(err)
	}
	if s, err := db.ClassifierFitState(ctx, "acme", "desk", 1); err != nil || s != nil {
		t.Fatalf("after delete, v1's state %q, %v", s, err)
	}
}
