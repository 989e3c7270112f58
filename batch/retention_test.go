package batch_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/store"
)

func TestRetentionSweep(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "classer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	objs, err := blob.NewLocal(filepath.Join(dir, "objects"), bytes.Repeat([]byte{1}, 32), "http://127.0.0.1:1", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	jobs := map[string]struct {
		status   batch.Status
		finished time.Time
		gone     bool
	}{
		"batch_oldcompleted000": {batch.StatusCompleted, now.Add(-8 * day), true},
		"batch_oldfailed000000": {batch.StatusFailed, now.Add(-8 * day), true},
		"batch_newcompleted000": {batch.StatusCompleted, now.Add(-6 * day), false},
		"batch_oldprocessing00": {batch.StatusProcessing, now.Add(-30 * day), false},
		"batch_oldpending00000": {batch.StatusPending, time.Time{}, false},
	}
	for id, j := range jobs {
		if err := db.CreateJob(ctx, &batch.Job{ID: id, Account: "acme", Status: j.status, FinishedAt: j.finished, CreatedAt: now.Add(-40 * day)}); err != nil {
			t.Fatal(err)
		}
		if _, err := objs.Put(ctx, batch.InputKey(id), strings.NewReader("{}\n"), 100); err != nil {
			t.Fatal(err)
		}
	}
	s := batch.NewSweeper(db, objs, 7*day, time.Hour, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return now })
	n, err := s.Sweep(ctx)
	if err != nil || n != 2 {
		t.Fatalf("swept %d, %v; want 2", n, err)
	}
	for id, j := range jobs {
		_, jerr := db.Job(ctx, "acme", id)
		_, oerr := objs.Stat(ctx, batch.InputKey(id))
		if j.gone != errors.Is(jerr, batch.ErrNotFound) || j.gone != errors.Is(oerr, fs.ErrNotExist) {
			t.Errorf("%s (%s): job err %v, object err %v; want deleted=%v", id, j.status, jerr, oerr, j.gone)
		}
	}
	// Keep = 0 keeps everything: Start does nothing and Shutdown returns at once.
	keep := batch.NewSweeper(db, objs, 0, time.Hour, slog.Default(), nil)
	keep.Start()
	if err := keep.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestDeleteFinishedBeforeRechecks: a job restarted after it was listed is kept.
func TestDeleteFinishedBeforeRechecks(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "classer.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := time.Now().Add(-100 * time.Hour)
	db.CreateJob(ctx, &batch.Job{ID: "batch_a", Account: "acme", Status: batch.StatusFailed, FinishedAt: old})
	listed, _ := db.FinishedBefore(ctx, time.Now())
	if len(listed) != 1 {
		t.Fatalf("listed %d", len(listed))
	}
	if _, err := db.StartJob(ctx, "acme", "batch_a", 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.DeleteFinishedBefore(ctx, "batch_a", time.Now()); ok || err != nil {
		t.Fatalf("deleted a processing job: %v %v", ok, err)
	}
}
