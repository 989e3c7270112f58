package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStartRemovesUnfinishedUploads (issue 22 #8): the temp files of uploads that a kill
// -9 cut off are removed when the appliance starts; objects, results being written
// (.partial, needed to resume) and other files stay.
func TestStartRemovesUnfinishedUploads(t *testing.T) {
	dir := t.TempDir()
	objects := filepath.Join(dir, "objects")
	write := func(rel string) string {
		p := filepath.Join(objects, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o640); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := []string{
		write("jobs/job_a/.input.ndjson.123456.tmp"),
		write("jobs/job_b/.results.idx.99.tmp"),
		write(".ping-42"),
	}
	kept := []string{
		write("jobs/job_a/input.ndjson"),
		write("jobs/job_b/output.ndjson.partial"),
		write("jobs/job_b/input.ndjson"),
	}
	m := startMain(t, testConfig(t, dir))
	defer m.Close()
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there after a start (%v)", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestS3EmptyInputRefusedAtStart (issue 22 #14): an empty file sent straight to the bucket
// (the appliance never sees the upload) is refused at start with 422 EMPTY_INPUT.
func TestS3EmptyInputRefusedAtStart(t *testing.T) {
	e := newS3Env(t)
	m := startMain(t, e.config(t, t.TempDir()))
	defer m.Close()
	c := newClient(t, m.URL, acmeKey)
	job := c.createJob(seedSpec)
	if code, body := uploadSized(t, job.UploadURL, allFields(job), strings.NewReader(""), 0); code/100 != 2 {
		t.Fatalf("upload to the bucket: %d %s", code, body)
	}
	var e422 struct{ Code, Message string }
	if code, _ := c.do("POST", "/v1/batch/"+job.JobID+"/start", nil, &e422); code != http.StatusUnprocessableEntity ||
		e422.Code != "EMPTY_INPUT" || !strings.Contains(e422.Message, "empty (0 bytes)") {
		t.Fatalf("start on an empty input: %d %+v", code, e422)
	}
}
