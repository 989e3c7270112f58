package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestClusterConfig: the cluster.* keys load from the environment (peers comma-separated)
// and are checked only with cluster.enabled; each mistake is an error naming its key.
func TestClusterConfig(t *testing.T) {
	s3 := []string{"CLASSER_STORAGE_KIND=s3", "CLASSER_STORAGE_S3_ENDPOINT=127.0.0.1:9000",
		"CLASSER_STORAGE_S3_ACCESS_KEY=a", "CLASSER_STORAGE_S3_SECRET_KEY=b"}
	node := append(slices.Clone(s3), "CLASSER_CLUSTER_ENABLED=true", "CLASSER_CLUSTER_NODE_NAME=n1",
		"CLASSER_CLUSTER_PEERS=nats://127.0.0.1:6223, nats://127.0.0.1:6224")
	load := func(env ...string) (Config, error) {
		t.Helper()
		fs := serveFlags("serve")
		if err := fs.Parse(nil); err != nil {
			t.Fatal(err)
		}
		return loadConfig(fs, env)
	}

	def, err := load()
	if err != nil {
		t.Fatal(err)
	}
	if def.Cluster.Enabled || def.Cluster.Replicas != 3 || def.Cluster.ClientAddr != "127.0.0.1:4222" || len(def.Cluster.Peers) != 0 {
		t.Fatalf("defaults: %+v", def.Cluster)
	}
	// Off, the keys are not looked at: a bad value there does not stop a single node.
	if _, err := load("CLASSER_CLUSTER_REPLICAS=9", "CLASSER_CLUSTER_NODE_NAME=bad name"); err != nil {
		t.Fatalf("cluster keys checked with cluster mode off: %v", err)
	}

	for _, tc := range []struct {
		name string
		env  []string
		want []string // every one must be in the error
	}{
		{"local storage", []string{"CLASSER_CLUSTER_ENABLED=true", "CLASSER_CLUSTER_NODE_NAME=n1",
			"CLASSER_CLUSTER_PEERS=nats://h2:6222,nats://h3:6222"}, []string{"cluster.enabled requires storage.kind s3"}},
		{"no node name", append(slices.Clone(s3), "CLASSER_CLUSTER_ENABLED=true", "CLASSER_CLUSTER_REPLICAS=1"), []string{"cluster.node_name"}},
		{"replicas out of range", append(slices.Clone(node), "CLASSER_CLUSTER_REPLICAS=7"), []string{"cluster.replicas must be 1 to 5"}},
		{"more replicas than nodes", append(slices.Clone(s3), "CLASSER_CLUSTER_ENABLED=true", "CLASSER_CLUSTER_NODE_NAME=n1",
			"CLASSER_CLUSTER_PEERS=nats://127.0.0.1:6223"), []string{"cluster.replicas is 3 but the cluster has 2 node(s)"}},
		{"bad peer", append(slices.Clone(node), "CLASSER_CLUSTER_PEERS=127.0.0.1:6223,nats://h:1,nats://h:2"), []string{`cluster.peers: "127.0.0.1:6223"`}},
		{"bad route addr", append(slices.Clone(node), "CLASSER_CLUSTER_ROUTE_ADDR=6222"), []string{"cluster.route_addr"}},
		{"negative job window", append(slices.Clone(node), "CLASSER_CLUSTER_JOB_WINDOW=-1"), []string{"cluster.job_window must be 0"}},
		{"peers and connect", append(slices.Clone(node), "CLASSER_CLUSTER_CONNECT=nats://nats1:4222"), []string{"exclude each other"}},
		{"bad connect", append(slices.Clone(s3), "CLASSER_CLUSTER_ENABLED=true", "CLASSER_CLUSTER_NODE_NAME=w1",
			"CLASSER_CLUSTER_CONNECT=http://nats1:4222"), []string{"cluster.connect"}},
		{"external without a node name", append(slices.Clone(s3), "CLASSER_CLUSTER_ENABLED=true",
			"CLASSER_CLUSTER_CONNECT=nats://nats1:4222"), []string{"cluster.node_name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(tc.env...)
			if err == nil {
				t.Fatal("loaded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	for name, env := range map[string][]string{
		"embedded": node,
		"external": append(slices.Clone(s3), "CLASSER_CLUSTER_ENABLED=true", "CLASSER_CLUSTER_NODE_NAME=w1",
			"CLASSER_CLUSTER_CONNECT=nats://nats1:4222,tls://nats2:4222"),
	} {
		if cfg, err := load(append(env, "CLASSER_CLUSTER_JOB_WINDOW=16")...); err != nil || !cfg.Cluster.Enabled || cfg.Cluster.JobWindow != 16 {
			t.Errorf("valid %s cluster setup: %v", name, err)
		}
	}
}

// TestClusterConfigFromEnv: list-valued keys are comma-separated in the environment.
func TestClusterConfigFromEnv(t *testing.T) {
	fs := serveFlags("serve")
	fs.Parse(nil)
	cfg, _ := loadConfig(fs, []string{"CLASSER_CLUSTER_PEERS= nats://h2:6222 ,nats://h3:6222,", "CLASSER_CLUSTER_NODE_NAME=n1",
		"CLASSER_CLUSTER_CONNECT=nats://a:1,nats://b:2", "CLASSER_CLUSTER_REPLICAS=5"})
	if !slices.Equal(cfg.Cluster.Peers, []string{"nats://h2:6222", "nats://h3:6222"}) ||
		!slices.Equal(cfg.Cluster.Connect, []string{"nats://a:1", "nats://b:2"}) || cfg.Cluster.Replicas != 5 || cfg.Cluster.NodeName != "n1" {
		t.Fatalf("cluster = %+v", cfg.Cluster)
	}
}

// TestClusterConfigTLS: cluster.tls_cert, tls_key and tls_ca go together and must be
// readable files, checked only with cluster mode on; each mistake names its key.
func TestClusterConfigTLS(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{}
	for _, name := range []string{"cert", "key", "ca"} {
		files[name] = filepath.Join(dir, name+".pem")
		if err := os.WriteFile(files[name], []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	node := []string{"CLASSER_STORAGE_KIND=s3", "CLASSER_STORAGE_S3_ENDPOINT=127.0.0.1:9000",
		"CLASSER_STORAGE_S3_ACCESS_KEY=a", "CLASSER_STORAGE_S3_SECRET_KEY=b",
		"CLASSER_CLUSTER_ENABLED=true", "CLASSER_CLUSTER_NODE_NAME=n1",
		"CLASSER_CLUSTER_PEERS=nats://127.0.0.1:6223,nats://127.0.0.1:6224"}
	load := func(env ...string) (Config, error) {
		t.Helper()
		fs := serveFlags("serve")
		if err := fs.Parse(nil); err != nil {
			t.Fatal(err)
		}
		return loadConfig(fs, append(slices.Clone(node), env...))
	}
	all := []string{"CLASSER_CLUSTER_TLS_CERT=" + files["cert"], "CLASSER_CLUSTER_TLS_KEY=" + files["key"], "CLASSER_CLUSTER_TLS_CA=" + files["ca"]}
	cfg, err := load(all...)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Cluster.TLS(); got == nil || got.Cert != files["cert"] || got.Key != files["key"] || got.CA != files["ca"] {
		t.Fatalf("TLS files: %+v", got)
	}
	if cfg, err := load(); err != nil || cfg.Cluster.TLS() != nil {
		t.Fatalf("no TLS keys: %+v, %v", cfg.Cluster.TLS(), err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"no key", []string{all[0], all[2]}, "cluster.tls_key is not set"},
		{"only the CA", []string{all[2]}, "cluster.tls_cert is not set"},
		{"unreadable cert", []string{"CLASSER_CLUSTER_TLS_CERT=" + missing, all[1], all[2]}, "cluster.tls_cert: open " + missing},
		{"unreadable CA", []string{all[0], all[1], "CLASSER_CLUSTER_TLS_CA=" + missing}, "cluster.tls_ca: open " + missing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := load(tc.env...); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// Off, the keys are not looked at.
	fs := serveFlags("serve")
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(fs, []string{"CLASSER_CLUSTER_TLS_CA=" + missing}); err != nil {
		t.Fatalf("cluster.tls_* checked with cluster mode off: %v", err)
	}
}
