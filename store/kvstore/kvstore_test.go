package kvstore_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/cluster"
	"github.com/classer-ai/classer-batch/store/kvstore"
	"github.com/classer-ai/classer-batch/store/storetest"
)

// startNode starts an embedded node on 127.0.0.1 (a random client port) with its
// JetStream in a temp dir, and connects to it.
func startNode(t *testing.T, name, routeAddr string, peers ...string) jetstream.JetStream {
	t.Helper()
	n, err := cluster.StartNode(cluster.NodeConfig{
		Name: name, ClientAddr: "127.0.0.1:0", RouteAddr: routeAddr, Peers: peers, StoreDir: t.TempDir(),
	}, slog.New(slog.NewTextHandler(io.Discard, nil)), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Close)
	nc, js, err := n.Connect()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return js
}

// suite runs the store suite with each test on a fresh bucket of the given connections,
// round robin, so on a cluster the writes of one test come through different nodes.
func suite(t *testing.T, replicas int, conns ...jetstream.JetStream) {
	var n atomic.Int64
	storetest.Run(t, func(t *testing.T, now func() time.Time) storetest.Store {
		i := n.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := kvstore.Open(ctx, conns[int(i)%len(conns)], kvstore.Config{
			Bucket: fmt.Sprintf("test_%d", i), Replicas: replicas, Now: now,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}

func TestSuiteSingleNode(t *testing.T) {
	suite(t, 1, startNode(t, "n1", ""))
}

// TestSuiteCluster runs the suite on three embedded nodes in one process, with three
// replicas: compare-and-swap has to hold through RAFT, from clients on every node.
func TestSuiteCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("three nodes: not in -short")
	}
	var routes []string
	for range 3 {
		routes = append(routes, fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	}
	var conns []jetstream.JetStream
	for i := range routes {
		var peers []string
		for j, r := range routes {
			if j != i {
				peers = append(peers, "nats://"+r)
			}
		}
		conns = append(conns, startNode(t, fmt.Sprintf("n%d", i+1), routes[i], peers...))
	}
	suite(t, 3, conns...)
}

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
