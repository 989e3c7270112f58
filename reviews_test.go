package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

type reviewsList struct {
	Data []struct {
		Index int64
		Label string
	}
	Total int
}

// TestReviewSurvivesKill9 (issue 26): a review answered 200 is in the database, so a
// SIGKILL right after it loses nothing; the restarted appliance shows it.
func TestReviewSurvivesKill9(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	p := startProc(t, bin, dir)
	c := newClient(t, p.url, acmeKey)
	job := c.createJob(seedSpec)
	c.runJob(job, seedInput)
	if code, _ := c.do("PUT", "/v1/batch/"+job.JobID+"/lines/1/review", map[string]any{"label": "sales"}, nil); code != 200 {
		t.Fatalf("PUT review: %d", code)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()

	p = startProc(t, bin, dir)
	c = newClient(t, p.url, acmeKey)
	var got reviewsList
	if code, _ := c.do("GET", "/v1/batch/"+job.JobID+"/reviews", nil, &got); code != 200 || got.Total != 1 || got.Data[0].Index != 1 || got.Data[0].Label != "sales" {
		t.Fatalf("reviews after kill -9 and restart: %d %+v", code, got)
	}
}

// TestReviewsBackupRestore: reviews are in the API's backup, and restore says how many.
func TestReviewsBackupRestore(t *testing.T) {
	ctx := context.Background()
	dirA, dirB := t.TempDir(), t.TempDir()
	cfgA := testConfig(t, dirA)
	cfgA.Auth.Keys = append(cfgA.Auth.Keys, "admin:"+adminKey)
	a := startMain(t, cfgA)
	c := newClient(t, a.URL, acmeKey)
	job := c.createJob(seedSpec)
	c.runJob(job, seedInput)
	for _, i := range []string{"0", "3"} {
		if code, _ := c.do("PUT", "/v1/batch/"+job.JobID+"/lines/"+i+"/review", map[string]any{"ok": true}, nil); code != 200 {
			t.Fatalf("PUT review %s: %d", i, code)
		}
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code := getFile(t, newClient(t, a.URL, adminKey), "/v1/admin/backup", backup); code != 200 {
		t.Fatalf("backup: %d", code)
	}
	copyTree(t, filepath.Join(dirA, "objects"), filepath.Join(dirB, "objects"))
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run(ctx, []string{"restore", "--data-dir", dirB, backup}, nil, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "2 reviewed lines") {
		t.Errorf("restore said %q; want it to count 2 reviewed lines", out.String())
	}
	cfgB := testConfig(t, dirB)
	b := startMain(t, cfgB)
	defer b.Close()
	c = newClient(t, b.URL, acmeKey)
	var got reviewsList
	if code, _ := c.do("GET", "/v1/batch/"+job.JobID+"/reviews", nil, &got); code != 200 || got.Total != 2 {
		t.Fatalf("reviews after the restore: %d %+v", code, got)
	}
}

// TestS3Rerun: on S3 a rerun's input is a server-side copy of its job's, so the rerun runs
// without an upload and keeps its input when the original job is deleted.
func TestS3Rerun(t *testing.T) {
	e := newS3Env(t)
	m := startMain(t, e.config(t, t.TempDir()))
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)
	job := c.createJob(seedSpec)
	if code, body := uploadSized(t, job.UploadURL, allFields(job), strings.NewReader(seedInput), int64(len(seedInput))); code != 204 {
		t.Fatalf("upload to the store: %d %s", code, body)
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != 202 {
		t.Fatalf("start: %d", code)
	}
	c.waitStatus(job.JobID, time.Minute, "completed")
	var rerun struct {
		JobID  string `json:"job_id"`
		Status string `json:"status"`
	}
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/rerun", nil, &rerun); code != 201 || rerun.Status != "queued" {
		t.Fatalf("rerun: %d %+v", code, rerun)
	}
	if v := c.waitStatus(rerun.JobID, time.Minute, "completed", "failed"); v.Status != "completed" || v.RequestsTotal != 8 {
		t.Fatalf("rerun job %+v", v)
	}
	if code, _ := c.do("DELETE", "/v1/batch/"+job.JobID, nil, nil); code != 200 {
		t.Fatalf("delete: %d", code)
	}
	if in := e.objects(t, "jobs/"+rerun.JobID+"/input.ndjson"); len(in) != 1 {
		t.Fatalf("the rerun's input after the original was deleted: %v", in)
	}
}
