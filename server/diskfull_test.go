package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/classify/classifytest"
	"github.com/classer-ai/classer-batch/store"
)

// smallDisk mounts a 1 MiB tmpfs at a new directory: a real file system that fills up.
// Mounting needs root (CI runs as root); elsewhere the test is skipped, saying why.
func smallDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a 1 MiB tmpfs to fill a disk for real (needs root or CAP_SYS_ADMIN): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file in dir until the disk has no room left, and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("filling the disk: %v", err)
			}
			return path
		}
	}
}

// newEnvObjectsAt is newEnv with the objects stored under objects.
func newEnvObjectsAt(t *testing.T, objects string) *testEnv {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(filepath.Join(t.TempDir(), "classer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clock := &testClock{t: time.Now().UTC()}
	ts := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + ts.Listener.Addr().String()
	local, err := blob.NewLocal(objects, bytes.Repeat([]byte{7}, 32), publicURL, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	clf, err := classifytest.NewBuiltin()
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	runner := batch.NewRunner(batch.Config{Workers: 1, CheckpointInterval: 50 * time.Millisecond}, db, runnerBlobs{local}, clf, log, clock.Now)
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		runner.Shutdown(sctx)
	})
	srv := New(Config{PublicURL: publicURL, Now: clock.Now}, db, local, runner, clf, log)
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	keyA, _, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{url: ts.URL, srv: srv, db: db, blobs: local, clock: clock, logs: logs, keyA: keyA, client: ts.Client()}
}

// TestDiskFull: on a full disk /readyz answers 503 naming the full disk, and an upload
// 507 saying so, not a bare 500; once space is freed, both work again.
func TestDiskFull(t *testing.T) {
	disk := smallDisk(t)
	e := newEnvObjectsAt(t, filepath.Join(disk, "objects"))
	created := e.createJob(t, e.keyA, `{`+spec3+`}`)
	filler := fill(t, disk)

	r := e.call(t, "GET", "/readyz", "", "")
	wantError(t, r, 503, "NOT_READY", "")
	if d, _ := r.body["details"].(map[string]any); d["check"] != "blobs" || d["reason"] != "disk_full" {
		t.Fatalf("readyz on a full disk: %s; want check blobs, reason disk_full", r.raw)
	}
	up := e.upload(t, created, jobInput, nil)
	wantError(t, up, 507, "INSUFFICIENT_STORAGE", "")
	if msg := up.str("message"); !bytes.Contains([]byte(msg), []byte("disk is full")) {
		t.Fatalf("upload on a full disk: %s", up.raw)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if r := e.call(t, "GET", "/readyz", "", ""); r.status != 200 {
		t.Fatalf("readyz once space is free: %d %s", r.status, r.raw)
	}
	if r := e.upload(t, created, jobInput, nil); r.status != 204 {
		t.Fatalf("upload once space is free: %d %s", r.status, r.raw)
	}
}
