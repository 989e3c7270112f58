package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/store"
)

// TestRestoreToCluster: a single node (local storage, bbolt) with a key made through the
// API, a saved classifier, a completed job with a review, and real-time usage is backed
// up; `classer-batch restore --to-cluster` moves the backup and its objects into a
// one-node cluster (embedded NATS, S3 on versitygw) whose configured keys share a secret
// with the single node's. The cluster then serves the job's results byte for byte, the
// keys authenticate, the classifier, the review and the usage are there. Without
// --objects the restore names the job whose results are missing and writes nothing; a
// second restore is refused (the cluster is not empty) and, with --force, writes the
// records over rather than adding to them.
func TestRestoreToCluster(t *testing.T) {
	ctx := context.Background()
	e := newS3Env(t)

	singleDir := t.TempDir()
	cfgA := testConfig(t, singleDir)
	cfgA.Auth.Keys = append(cfgA.Auth.Keys, "admin:"+adminKey)
	a := startMain(t, cfgA)
	c := newClient(t, a.URL, acmeKey)
	admin := newClient(t, a.URL, adminKey)
	var made struct{ Key string }
	if code, _ := admin.do("POST", "/v1/keys", map[string]any{"account": "gamma"}, &made); code != 201 {
		t.Fatalf("create key: %d", code)
	}
	if code, _ := c.do("POST", "/v1/classifiers", map[string]any{"name": "tickets", "labels": []string{"billing", "technical", "sales"}}, nil); code != 201 {
		t.Fatalf("save classifier: %d", code)
	}
	job := c.createJob(map[string]any{"classifier": "tickets"})
	c.runJob(job, seedInput)
	want := c.download(job.JobID)
	if code, _ := c.do("PUT", "/v1/batch/"+job.JobID+"/lines/1/review", map[string]any{"label": "sales"}, nil); code != 200 {
		t.Fatalf("review: %d", code)
	}
	if code, _ := c.do("POST", "/v1/classify", map[string]any{"text": "I was charged twice", "labels": []string{"billing", "sales"}}, nil); code != 200 {
		t.Fatalf("classify: %d", code)
	}
	var keysA struct{ Data []struct{ ID string } }
	admin.do("GET", "/v1/keys", nil, &keysA)
	var usageA usageBody
	c.do("GET", "/v1/usage", nil, &usageA) // also writes the real-time usage held in memory
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code := getFile(t, admin, "/v1/admin/backup", backup); code != 200 {
		t.Fatalf("backup: %d", code)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	cfg := e.config(t, t.TempDir())
	cfg.Auth.Keys = append(cfg.Auth.Keys, "admin:"+adminKey)
	cfg.Cluster = ClusterConfig{Enabled: true, NodeName: "n1", ClientAddr: "127.0.0.1:0", RouteAddr: "127.0.0.1:0", Replicas: 1,
		ShardBytes: 16 << 10, Lease: 5 * time.Second, WorkerSlots: 1}
	m := startMain(t, cfg)
	defer m.Close()
	restore := func(extra ...string) (string, error) {
		var out bytes.Buffer
		args := append([]string{"restore", "--to-cluster", "--connect", m.cluster.node.ClientURL()}, extra...)
		err := run(ctx, append(args, backup), e.environ(), nil, &out, io.Discard)
		return out.String(), err
	}

	_, err := restore()
	if err == nil || !strings.Contains(err.Error(), job.JobID) || !strings.Contains(err.Error(), "--objects") {
		t.Fatalf("restore without the objects: %v; want an error naming job %s and --objects", err, job.JobID)
	}
	c = newClient(t, m.URL, acmeKey)
	var list struct{ Data []jobView }
	if c.do("GET", "/v1/batch", nil, &list); len(list.Data) != 0 {
		t.Fatalf("a refused restore wrote %d jobs", len(list.Data))
	}

	out, err := restore("--objects", filepath.Join(singleDir, "objects"))
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if !strings.Contains(out, "1 jobs") {
		t.Errorf("restore said %q", out)
	}
	checkRestored := func() {
		t.Helper()
		if v := c.waitStatus(job.JobID, time.Second, "completed"); v.RequestsCompleted == 0 {
			t.Fatalf("restored job %+v", v)
		}
		if got := c.download(job.JobID); !bytes.Equal(got, want) {
			t.Fatalf("the cluster's results (%d bytes) differ from the single node's (%d bytes)", len(got), len(want))
		}
		if code, _ := newClient(t, m.URL, made.Key).do("GET", "/v1/batch", nil, nil); code != http.StatusOK {
			t.Errorf("the key made on the single node: %d", code)
		}
		// The cluster's configured keys share their secrets with the single node's: each
		// is there once, with the single node's id.
		var keys struct{ Data []struct{ ID string } }
		newClient(t, m.URL, adminKey).do("GET", "/v1/keys", nil, &keys)
		if len(keys.Data) != len(keysA.Data) || len(keys.Data) > 0 && !slices.ContainsFunc(keys.Data, func(k struct{ ID string }) bool { return k.ID == keysA.Data[0].ID }) {
			t.Errorf("keys in the cluster %+v, on the single node %+v", keys.Data, keysA.Data)
		}
		var cls struct{ Data []struct{ Name string } }
		if c.do("GET", "/v1/classifiers", nil, &cls); len(cls.Data) != 1 || cls.Data[0].Name != "tickets" {
			t.Errorf("classifiers: %+v", cls)
		}
		var rv reviewsList
		if code, _ := c.do("GET", "/v1/batch/"+job.JobID+"/reviews", nil, &rv); code != 200 || rv.Total != 1 || rv.Data[0].Label != "sales" {
			t.Errorf("reviews: %d %+v", code, rv)
		}
		var usage usageBody
		c.do("GET", "/v1/usage", nil, &usage)
		if usage.Total != usageA.Total || usage.Total.Jobs != 1 {
			t.Errorf("usage in the cluster %+v, on the single node %+v", usage.Total, usageA.Total)
		}
	}
	checkRestored()

	if _, err := restore("--objects", filepath.Join(singleDir, "objects")); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("a second restore: %v; want a refusal that names --force", err)
	}
	if out, err := restore("--force"); err != nil {
		t.Fatalf("restore --force: %v\n%s", err, out)
	}
	checkRestored()
}

// TestRestoreToClusterRefuses: what restore --to-cluster refuses before it connects to
// anything, each with an error naming what was wrong.
func TestRestoreToClusterRefuses(t *testing.T) {
	ctx := context.Background()
	backup := filepath.Join(t.TempDir(), "backup.db")
	db, err := store.Open(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateJob(ctx, &batch.Job{ID: "batch_running1", Account: "acme", Status: batch.StatusProcessing}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s3 := []string{"CLASSER_STORAGE_KIND=s3", "CLASSER_STORAGE_S3_ENDPOINT=127.0.0.1:1",
		"CLASSER_STORAGE_S3_ACCESS_KEY=a", "CLASSER_STORAGE_S3_SECRET_KEY=b"}
	for _, c := range []struct {
		args    []string
		environ []string
		want    string
	}{
		{[]string{"--to-cluster", "--connect", "nats://127.0.0.1:1", backup}, s3, "1 job(s) that were processing"},
		{[]string{"--to-cluster", backup}, s3, "--connect"},
		{[]string{"--to-cluster", "--connect", "nats://127.0.0.1:1", backup}, nil, "storage.kind s3"},
		{[]string{"--force", backup}, nil, "--force goes with --to-cluster"},
	} {
		err := run(ctx, append([]string{"restore"}, c.args...), c.environ, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("restore %v: %v; want an error saying %q", c.args, err, c.want)
		}
	}
}
