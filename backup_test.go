package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBackupRestoreRoundTrip is issue 14's test: a snapshot taken over the API while a job
// runs, restored with `classer-batch restore` into a new data dir beside a copy of the
// objects taken after it, starts an appliance in which keys, saved classifiers, usage and
// jobs are all there, and the job that was running resumes and completes with results
// identical to an uninterrupted run's.
func TestBackupRestoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	dirA, dirB := t.TempDir(), t.TempDir()
	cfgA := testConfig(t, dirA)
	cfgA.Auth.Keys = append(cfgA.Auth.Keys, "admin:"+adminKey)
	var input bytes.Buffer
	if _, err := input.ReadFrom(newCorpus(31, 60_000)); err != nil {
		t.Fatal(err)
	}
	// The running job reads only half its input in appliance A, so the snapshot is sure to
	// find it processing part-way.
	hold, held := holdInputAt(int64(input.Len() / 2))
	a := startMain(t, cfgA, hold)
	c := newClient(t, a.URL, acmeKey)
	admin := newClient(t, a.URL, adminKey)

	// State of every kind: a key made through the API, a saved classifier, a completed
	// job, real-time usage, and a job running.
	var made struct{ Key string }
	if code, _ := admin.do("POST", "/v1/keys", map[string]any{"account": "gamma"}, &made); code != 201 {
		t.Fatalf("create key: %d", code)
	}
	if code, _ := c.do("POST", "/v1/classifiers", map[string]any{"name": "tickets", "labels": []string{"billing", "technical", "sales"}}, nil); code != 201 {
		t.Fatalf("save classifier: %d", code)
	}
	// The small job runs before the hold is used (it reads its input whole: the hold
	// applies to reads from byte 0 up to half the big input, which it never reaches).
	small := c.createJob(map[string]any{"classifier": "tickets"})
	c.runJob(small, seedInput)
	smallResults := c.download(small.JobID)
	if code, _ := c.do("POST", "/v1/classify", map[string]any{"text": "I was charged twice", "labels": []string{"billing", "sales"}}, nil); code != 200 {
		t.Fatalf("classify: %d", code)
	}
	var usageA usageBody
	c.do("GET", "/v1/usage", nil, &usageA) // also writes the real-time usage held in memory

	big := c.createJob(seedSpec)
	if code, body := upload(t, big.UploadURL, allFields(big), bytes.NewReader(input.Bytes())); code != 204 {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+big.JobID+"/start", nil, nil); code != 202 {
		t.Fatalf("start: %d", code)
	}
	waitHeld(t, held)

	// The snapshot, while A serves and the job runs: the job is processing in it.
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code := getFile(t, admin, "/v1/admin/backup", backup); code != 200 {
		t.Fatalf("backup: %d", code)
	}
	if code := getFile(t, c, "/v1/admin/backup", filepath.Join(t.TempDir(), "x")); code != 403 {
		t.Fatalf("backup with a non-admin key: %d, want 403", code)
	}
	var v jobView
	if c.do("GET", "/v1/batch/"+big.JobID, nil, &v); v.Status != "processing" {
		t.Fatalf("the big job is %s at the snapshot, want processing", v.Status)
	}
	// Then the objects, in that order (README "Backups"): they hold at least what the
	// snapshot's checkpoints point at.
	copyTree(t, filepath.Join(dirA, "objects"), filepath.Join(dirB, "objects"))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	// B's data dir already has a database of its own: restore keeps it aside.
	if err := run(ctx, []string{"keys", "create", "--account", "old", "--data-dir", dirB}, nil, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"restore", "--data-dir", dirB, backup}, nil, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"a classer-batch database", "1 processing", "kept as " + filepath.Join(dirB, "classer.db.before-restore-"), "objects"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("restore said %q; want %q", out.String(), want)
		}
	}
	if kept, _ := filepath.Glob(filepath.Join(dirB, "classer.db.before-restore-*")); len(kept) != 1 {
		t.Errorf("the database that was in place was not kept: %v", kept)
	}

	if j := storedJob(t, dirB, big.JobID); !midJob(j, 60_000) || j.Checkpoint.Completed == 0 {
		t.Fatalf("restored job: %s at %+v; want processing at a part-way checkpoint", j.Status, j.Checkpoint)
	}

	// B starts on the restored database with no configured keys: every key comes from it.
	cfgB := testConfig(t, dirB)
	cfgB.Auth.Keys = nil
	var firstStart bytes.Buffer
	b := startMain(t, cfgB, func(m *Main) { m.Stderr = &firstStart })
	defer b.Close()
	if firstStart.Len() != 0 {
		t.Errorf("B made a new admin key, so the restored keys were not there: %s", firstStart.String())
	}
	c = newClient(t, b.URL, acmeKey)
	for name, key := range map[string]string{"acme": acmeKey, "admin": adminKey, "gamma (made through the API)": made.Key} {
		if code, _ := newClient(t, b.URL, key).do("GET", "/v1/batch", nil, nil); code != 200 {
			t.Errorf("%s's key after the restore: %d", name, code)
		}
	}
	if code, _ := newClient(t, b.URL, "sk-old-unknown").do("GET", "/v1/batch", nil, nil); code != 401 {
		t.Errorf("unknown key: %d", code)
	}
	var cls struct{ Data []struct{ Name string } }
	if c.do("GET", "/v1/classifiers", nil, &cls); len(cls.Data) != 1 || cls.Data[0].Name != "tickets" {
		t.Errorf("classifiers after the restore: %+v", cls)
	}
	var usageB usageBody
	c.do("GET", "/v1/usage", nil, &usageB)
	if usageB.Total.Requests != usageA.Total.Requests || usageB.Total.Tokens != usageA.Total.Tokens || usageB.Total.Jobs != 1 {
		t.Errorf("usage after the restore %+v, before the backup %+v", usageB.Total, usageA.Total)
	}
	if got := c.download(small.JobID); !bytes.Equal(got, smallResults) {
		t.Error("the completed job's results differ after the restore")
	}
	v = c.waitStatus(big.JobID, 5*time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsCompleted != 60_000 {
		t.Fatalf("the job that was running: %+v", v)
	}
	if want := offlineResults(t, seedSpec, input.String()); !bytes.Equal(c.download(big.JobID), want) {
		t.Fatal("the resumed job's results differ from an uninterrupted run")
	}
}

type usageBody struct {
	Total struct {
		Tokens, Requests, Jobs int64
	}
}

// getFile GETs path with c's key into file and returns the status.
func getFile(t *testing.T, c *client, path, file string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.key)
	resp, err := c.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, resp.Body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode
}

// copyTree copies the regular files under src to dst, as `cp -a` of the objects would.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a temp file renamed meanwhile: its object is copied under its name
		}
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}
