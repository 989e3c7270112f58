package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestClusterModeOneNode: `serve` with cluster.enabled (one embedded NATS node, replicas 1,
// S3 objects) keeps its state in JetStream, not in a bbolt file, and a job's results are
// byte-identical to a single-node run's; after a restart the job, its usage and the keys
// are still there. The single-node run starts no NATS at all. (cluster.enabled still
// refuses to load from a configuration file: this test sets the keys on Config directly.)
func TestClusterModeOneNode(t *testing.T) {
	e := newS3Env(t)
	var input bytes.Buffer
	if _, err := input.ReadFrom(newCorpus(25, 3_000)); err != nil {
		t.Fatal(err)
	}

	singleDir := t.TempDir()
	single := startMain(t, e.config(t, singleDir))
	sc := newClient(t, single.URL, acmeKey)
	id := runJobS3(t, sc, input.Bytes())
	if v := sc.waitStatus(id, 2*time.Minute, "completed", "failed"); v.Status != "completed" {
		t.Fatalf("single-node job %+v", v)
	}
	want := sc.download(id)
	single.Close()
	if _, err := os.Stat(filepath.Join(singleDir, "nats")); !os.IsNotExist(err) {
		t.Fatalf("a single node made %s/nats (err %v): NATS started without cluster.enabled", singleDir, err)
	}

	dir := t.TempDir()
	cfg := e.config(t, dir)
	cfg.Auth.Keys = append(cfg.Auth.Keys, "admin:sk-admin-test-1")
	cfg.Cluster = ClusterConfig{Enabled: true, NodeName: "n1", ClientAddr: "127.0.0.1:0", RouteAddr: "127.0.0.1:0", Replicas: 1}
	m := startMain(t, cfg)
	c := newClient(t, m.URL, acmeKey)
	id = runJobS3(t, c, input.Bytes())
	v := c.waitStatus(id, 2*time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsTotal != 3_000 {
		t.Fatalf("cluster-mode job %+v", v)
	}
	if got := c.download(id); !bytes.Equal(got, want) {
		t.Fatalf("cluster-mode results (%d bytes) differ from the single node's (%d bytes)", len(got), len(want))
	}
	if _, err := os.Stat(filepath.Join(dir, "classer.db")); !os.IsNotExist(err) {
		t.Fatalf("cluster mode wrote a bbolt database (err %v)", err)
	}
	if code, _ := newClient(t, m.URL, "sk-admin-test-1").do("GET", "/v1/admin/backup", nil, nil); code != http.StatusNotImplemented {
		t.Errorf("backup in cluster mode: %d, want 501", code)
	}
	var before usageBody
	c.do("GET", "/v1/usage", nil, &before)
	if before.Total.Jobs != 1 {
		t.Errorf("usage %+v, want one job", before.Total)
	}
	m.Close()

	m = startMain(t, cfg)
	defer m.Close()
	c = newClient(t, m.URL, acmeKey)
	if got := c.waitStatus(id, time.Second, "completed"); got.RequestsCompleted != v.RequestsCompleted {
		t.Fatalf("after a restart: %+v, before %+v", got, v)
	}
	var after usageBody
	c.do("GET", "/v1/usage", nil, &after)
	if after.Total != before.Total {
		t.Errorf("usage after a restart %+v, before %+v", after.Total, before.Total)
	}
}
