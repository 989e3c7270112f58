package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"time"

	"github.com/classer-ai/classer-batch/cluster"
)

// ClusterConfig is the cluster.* section (issue 25). With Enabled false nothing about
// NATS starts and the appliance is the single-node one.
type ClusterConfig struct {
	Enabled bool `koanf:"enabled"`
	// NodeName names this node in the cluster; unique per node.
	NodeName string `koanf:"node_name"`
	// ClientAddr and RouteAddr are the embedded nats-server's client and cluster-route
	// listeners (host:port).
	ClientAddr string `koanf:"client_addr"`
	RouteAddr  string `koanf:"route_addr"`
	// Peers are the route URLs of the other nodes (nats://host:port).
	Peers []string `koanf:"peers"`
	// Replicas of the state buckets: 3 survives losing any one node.
	Replicas int `koanf:"replicas"`
	// Connect, when set, names the client URLs of an existing NATS cluster to use instead
	// of embedding one; then ClientAddr, RouteAddr and Peers are not used.
	Connect []string `koanf:"connect"`
	// ShardBytes is about how much of a job's input one shard holds: a job is shared
	// between the cluster's workers shard by shard.
	ShardBytes int64 `koanf:"shard_bytes"`
	// Lease is how long a worker's claim on a shard (and a finalize, and the sweeper's
	// election) holds without being renewed; a worker that stops renewing loses its
	// shard after it.
	Lease time.Duration `koanf:"lease"`
	// WorkerSlots is how many shards this process works on at once (serve and worker).
	WorkerSlots int `koanf:"worker_slots"`
	// JobWindow is how many of one job's shards are queued or worked on at once, so that
	// a job started later is not queued behind all of a big one's; 0: twice the slots of
	// the live processes when the job is dispatched (at least 8).
	JobWindow int `koanf:"job_window"`
	// TLSCert, TLSKey and TLSCA (PEM files; all three or none) turn on mutual TLS: the
	// embedded server's routes and client listener require a certificate signed by TLSCA,
	// and this node's connections to cluster.connect present TLSCert.
	TLSCert string `koanf:"tls_cert"`
	TLSKey  string `koanf:"tls_key"`
	TLSCA   string `koanf:"tls_ca"`
}

// TLS is the cluster.tls_* files for the cluster package, nil when they are not set.
func (c ClusterConfig) TLS() *cluster.TLS {
	if c.TLSCert == "" {
		return nil
	}
	return &cluster.TLS{Cert: c.TLSCert, Key: c.TLSKey, CA: c.TLSCA}
}

var nodeNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// validateCluster checks the cluster.* keys when cluster mode is on; with it off they
// are not looked at.
func (c *Config) validateCluster() []error {
	cl := c.Cluster
	if !cl.Enabled {
		return nil
	}
	var errs []error
	if c.Storage.Kind != "s3" {
		errs = append(errs, fmt.Errorf("cluster.enabled requires storage.kind s3 (every node reads and writes the same objects), not %q", c.Storage.Kind))
	}
	// Also with cluster.connect: a job belongs to the node that started it (batch.Job.Node).
	if !nodeNameRe.MatchString(cl.NodeName) {
		errs = append(errs, fmt.Errorf("cluster.node_name %q must be 1-64 letters, digits, '-' or '_', and unique per node", cl.NodeName))
	}
	if cl.Replicas < 1 || cl.Replicas > 5 {
		errs = append(errs, fmt.Errorf("cluster.replicas must be 1 to 5 (JetStream's limit), not %d", cl.Replicas))
	}
	if cl.ShardBytes < 1<<10 {
		errs = append(errs, fmt.Errorf("cluster.shard_bytes must be at least 1024, not %d", cl.ShardBytes))
	}
	if cl.Lease < time.Second {
		errs = append(errs, fmt.Errorf("cluster.lease must be at least 1s, not %s", cl.Lease))
	}
	if cl.WorkerSlots < 0 || cl.WorkerSlots > 256 {
		errs = append(errs, fmt.Errorf("cluster.worker_slots must be 0 to 256, not %d", cl.WorkerSlots))
	}
	if cl.JobWindow < 0 {
		errs = append(errs, fmt.Errorf("cluster.job_window must be 0 (twice the cluster's slots) or more, not %d", cl.JobWindow))
	}
	for _, u := range cl.Connect {
		if err := checkNATSURL(u, "nats", "tls"); err != nil {
			errs = append(errs, fmt.Errorf("cluster.connect: %w", err))
		}
	}
	errs = append(errs, checkClusterTLS(cl)...)
	if len(cl.Connect) > 0 {
		if len(cl.Peers) > 0 {
			errs = append(errs, errors.New("cluster.peers and cluster.connect exclude each other: peers are for the embedded NATS server, connect is for an external NATS cluster"))
		}
	} else {
		for key, addr := range map[string]string{"cluster.client_addr": cl.ClientAddr, "cluster.route_addr": cl.RouteAddr} {
			if _, _, err := net.SplitHostPort(addr); err != nil {
				errs = append(errs, fmt.Errorf("%s %q: want host:port: %w", key, addr, err))
			}
		}
		if cl.Replicas > len(cl.Peers)+1 {
			errs = append(errs, fmt.Errorf("cluster.replicas is %d but the cluster has %d node(s) (this one and cluster.peers)", cl.Replicas, len(cl.Peers)+1))
		}
		for _, u := range cl.Peers {
			if err := checkNATSURL(u, "nats", "nats-route", "tls"); err != nil {
				errs = append(errs, fmt.Errorf("cluster.peers: %w", err))
			}
		}
	}
	return errs
}

// checkClusterTLS wants the three cluster.tls_* files all set or none, and readable.
func checkClusterTLS(cl ClusterConfig) []error {
	files := []struct{ key, path string }{{"cluster.tls_cert", cl.TLSCert}, {"cluster.tls_key", cl.TLSKey}, {"cluster.tls_ca", cl.TLSCA}}
	set := 0
	for _, f := range files {
		if f.path != "" {
			set++
		}
	}
	if set == 0 {
		return nil
	}
	var errs []error
	for _, f := range files {
		if f.path == "" {
			errs = append(errs, fmt.Errorf("%s is not set: cluster.tls_cert, cluster.tls_key and cluster.tls_ca go together (all three or none)", f.key))
		} else if _, err := os.ReadFile(f.path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.key, err))
		}
	}
	return errs
}

// checkNATSURL wants scheme://host:port with one of schemes.
func checkNATSURL(s string, schemes ...string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("%q: %w", s, err)
	}
	if !slices.Contains(schemes, u.Scheme) || u.Port() == "" || u.Hostname() == "" {
		return fmt.Errorf("%q: want %s://host:port", s, schemes[0])
	}
	return nil
}
