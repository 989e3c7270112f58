package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestClusterAdminJobsAndBackup: on `serve` in cluster mode (one embedded NATS node, S3),
// GET /v1/admin/jobs lists every account's jobs, newest first, paged, from the KV store;
// and GET /v1/admin/backup gives a file that `classer-batch restore` installs in a fresh
// single node, and `restore --to-cluster` in a fresh cluster, both on the same S3 bucket
// (the job objects stay there): the completed job's results byte-identical, a key made
// through the API authenticating, the saved classifier, the other account's job, the
// usage.
func TestClusterAdminJobsAndBackup(t *testing.T) {
	ctx := context.Background()
	e := newS3Env(t)
	clusterCfg := func() Config {
		cfg := e.config(t, t.TempDir())
		cfg.Auth.Keys = append(cfg.Auth.Keys, "admin:"+adminKey)
		cfg.Cluster = ClusterConfig{Enabled: true, NodeName: "n1", ClientAddr: "127.0.0.1:0", RouteAddr: "127.0.0.1:0", Replicas: 1,
			ShardBytes: 16 << 10, Lease: 5 * time.Second, WorkerSlots: 2}
		return cfg
	}
	var input bytes.Buffer
	if _, err := input.ReadFrom(newCorpus(41, 2_000)); err != nil {
		t.Fatal(err)
	}

	a := startMain(t, clusterCfg())
	c := newClient(t, a.URL, acmeKey)
	admin := newClient(t, a.URL, adminKey)
	if code, _ := c.do("POST", "/v1/classifiers", map[string]any{"name": "tickets", "labels": []string{"billing", "technical", "sales"}}, nil); code != 201 {
		t.Fatalf("save classifier: %d", code)
	}
	id := runJobS3(t, c, input.Bytes())
	if v := c.waitStatus(id, 2*time.Minute, "completed", "failed"); v.Status != "completed" {
		t.Fatalf("job %+v", v)
	}
	want := c.download(id)
	var made struct{ Key string }
	if code, _ := admin.do("POST", "/v1/keys", map[string]any{"account": "gamma"}, &made); code != 201 {
		t.Fatalf("create key: %d", code)
	}
	gamma := newClient(t, a.URL, made.Key).createJob(seedSpec)
	var usageA usageBody
	c.do("GET", "/v1/usage", nil, &usageA)

	type adminJobs struct {
		Data []struct {
			JobID   string `json:"job_id"`
			Account string
			Status  string
		}
		Total   int
		HasMore bool `json:"has_more"`
	}
	var all adminJobs
	if code, _ := admin.do("GET", "/v1/admin/jobs", nil, &all); code != 200 {
		t.Fatalf("GET /v1/admin/jobs in cluster mode: %d", code)
	}
	got := fmt.Sprint(all.Data)
	if wantList := fmt.Sprintf("[{%s gamma pending} {%s acme completed}]", gamma.JobID, id); got != wantList || all.Total != 2 || all.HasMore {
		t.Errorf("every account's jobs: %s (total %d, has_more %v), want %s", got, all.Total, all.HasMore, wantList)
	}
	var page adminJobs
	if admin.do("GET", "/v1/admin/jobs?offset=1&limit=1", nil, &page); len(page.Data) != 1 || page.Data[0].JobID != id || page.Total != 2 || page.HasMore {
		t.Errorf("the second page of one: %+v", page)
	}
	if code, _ := c.do("GET", "/v1/admin/jobs", nil, nil); code != http.StatusForbidden {
		t.Errorf("every account's jobs with acme's key: %d, want 403", code)
	}

	backup := filepath.Join(t.TempDir(), "cluster.db")
	if code := getFile(t, admin, "/v1/admin/backup", backup); code != 200 {
		t.Fatalf("backup in cluster mode: %d", code)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	check := func(where, url string) {
		t.Helper()
		c := newClient(t, url, acmeKey)
		if v := c.waitStatus(id, time.Second, "completed"); v.RequestsCompleted == 0 {
			t.Fatalf("%s: the job %+v", where, v)
		}
		if got := c.download(id); !bytes.Equal(got, want) {
			t.Errorf("%s: results (%d bytes) differ from the cluster's (%d bytes)", where, len(got), len(want))
		}
		var list struct{ Data []jobView }
		if code, _ := newClient(t, url, made.Key).do("GET", "/v1/batch", nil, &list); code != 200 || len(list.Data) != 1 || list.Data[0].JobID != gamma.JobID {
			t.Errorf("%s: gamma's key made through the API: %d %+v", where, code, list.Data)
		}
		var cls struct{ Data []struct{ Name string } }
		if c.do("GET", "/v1/classifiers", nil, &cls); len(cls.Data) != 1 || cls.Data[0].Name != "tickets" {
			t.Errorf("%s: classifiers %+v", where, cls)
		}
		var usage usageBody
		if c.do("GET", "/v1/usage", nil, &usage); usage.Total != usageA.Total || usage.Total.Jobs != 1 {
			t.Errorf("%s: usage %+v, in the cluster %+v", where, usage.Total, usageA.Total)
		}
	}

	// Into a fresh single node on the same bucket.
	dirB := t.TempDir()
	var out bytes.Buffer
	if err := run(ctx, []string{"restore", "--data-dir", dirB, backup}, nil, nil, &out, io.Discard); err != nil {
		t.Fatalf("restore: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "2 jobs (1 pending, 1 completed)") {
		t.Errorf("restore said %q", out.String())
	}
	b := startMain(t, e.config(t, dirB))
	check("single node", b.URL)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	// Into a fresh cluster.
	m := startMain(t, clusterCfg())
	defer m.Close()
	out.Reset()
	if err := run(ctx, []string{"restore", "--to-cluster", "--connect", m.cluster.node.ClientURL(), backup}, e.environ(), nil, &out, io.Discard); err != nil {
		t.Fatalf("restore --to-cluster: %v\n%s", err, out.String())
	}
	check("cluster", m.URL)
}
