package cluster_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/cluster"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startCluster starts three embedded nodes on 127.0.0.1, each given the other two as
// peers, as three `serve` processes configured with cluster.peers would be.
func startCluster(t *testing.T) []*cluster.Node {
	t.Helper()
	nodes, _ := startNodes(t, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return nodes
}

// startNodes is startCluster with the nodes' TLS files (nil: none) and log; it also
// returns their route URLs.
func startNodes(t *testing.T, tlsFiles *cluster.TLS, log *slog.Logger) ([]*cluster.Node, []string) {
	t.Helper()
	var routes []string
	for range 3 {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", freePort(t)))
	}
	nodes := make([]*cluster.Node, 3)
	for i := range nodes {
		var peers []string
		for j, r := range routes {
			if j != i {
				peers = append(peers, r)
			}
		}
		n, err := cluster.StartNode(cluster.NodeConfig{
			Name:       fmt.Sprintf("n%d", i+1),
			ClientAddr: "127.0.0.1:0",
			RouteAddr:  routes[i][len("nats://"):],
			Peers:      peers,
			StoreDir:   t.TempDir(),
			TLS:        tlsFiles,
		}, log, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = n
		t.Cleanup(n.Close)
	}
	return nodes, routes
}

func open(t *testing.T, js jetstream.JetStream) *kvstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := kvstore.Open(ctx, js, kvstore.Config{Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestClusterLosesANode: three nodes, the state bucket with three replicas; a start on
// one node is seen as the account's active job by a start through another; with the
// node that leads the bucket stopped, the other two elect a new leader and take writes
// again (the store retries through the election).
func TestClusterLosesANode(t *testing.T) {
	nodes := startCluster(t)
	var stores []*kvstore.Store
	var conns []jetstream.JetStream
	for _, n := range nodes {
		nc, js, err := n.Connect()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(nc.Close)
		stores = append(stores, open(t, js))
		conns = append(conns, js)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, id := range []string{"batch_1", "batch_2"} {
		if err := stores[0].CreateJob(ctx, &batch.Job{ID: id, Account: "acme"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := stores[1].StartJob(ctx, "acme", "batch_1", 1, time.Now()); err != nil {
		t.Fatalf("start on node 2: %v", err)
	}
	if _, err := stores[2].StartJob(ctx, "acme", "batch_2", 1, time.Now()); err == nil {
		t.Fatal("node 3 started a second job of an account that has one running on node 2")
	}

	stream, err := conns[0].Stream(ctx, "KV_"+kvstore.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	leader := stream.CachedInfo().Cluster.Leader
	lost := slices.IndexFunc(nodes, func(n *cluster.Node) bool { return n.Name() == leader })
	if lost < 0 {
		t.Fatalf("the bucket's leader %q is none of the nodes", leader)
	}
	nodes[lost].Close()
	// The survivors, in the order the test uses them below.
	stores = slices.Delete(stores, lost, lost+1)
	stores = append([]*kvstore.Store{nil}, stores...)
	if _, err := stores[1].UpdateJob(ctx, "batch_1", func(j *batch.Job) error { j.Status = batch.StatusCompleted; return nil }); err != nil {
		t.Fatalf("update with the leader down: %v", err)
	}
	if _, err := stores[2].StartJob(ctx, "acme", "batch_2", 1, time.Now()); err != nil {
		t.Fatalf("start with the leader down, after the account's job completed: %v", err)
	}
	if j, err := stores[1].Job(ctx, "acme", "batch_2"); err != nil || j.Status != batch.StatusProcessing {
		t.Fatalf("node 2 reads %+v, %v", j, err)
	}
}

// TestStartNodePortInUse: a client or route address another socket holds fails the start
// with nats-server's own message naming the address, not a timeout after all of ready.
func TestStartNodePortInUse(t *testing.T) {
	for _, which := range []string{"client", "route"} {
		t.Run(which, func(t *testing.T) {
			held, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer held.Close()
			port := fmt.Sprint(held.Addr().(*net.TCPAddr).Port)
			cfg := cluster.NodeConfig{
				Name:       "n1",
				ClientAddr: "127.0.0.1:0",
				RouteAddr:  fmt.Sprintf("127.0.0.1:%d", freePort(t)),
				Peers:      []string{fmt.Sprintf("nats://127.0.0.1:%d", freePort(t))},
				StoreDir:   t.TempDir(),
			}
			if which == "client" {
				cfg.ClientAddr = held.Addr().String()
			} else {
				cfg.RouteAddr = held.Addr().String()
			}
			n, err := cluster.StartNode(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Minute)
			if err == nil {
				n.Close()
				t.Fatal("the node started on an address in use")
			}
			if !strings.Contains(err.Error(), port) || !strings.Contains(err.Error(), "address already in use") {
				t.Fatalf("error %q does not name the address in use (%s)", err, held.Addr())
			}
		})
	}
}
