package kvstore_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/store/kvstore"
	"github.com/classer-ai/classer-batch/store/storetest"
)

// startNode starts an embedded nats-server with JetStream on 127.0.0.1 (a random client
// port), storing in a temp dir; with clusterPort > 0 it listens for routes there and
// joins routes.
func startNode(t *testing.T, name string, clusterPort int, routes ...*url.URL) *server.Server {
	t.Helper()
	opts := &server.Options{
		ServerName: name,
		Host:       "127.0.0.1",
		Port:       -1,
		JetStream:  true,
		StoreDir:   t.TempDir(),
		NoSigs:     true,
		NoLog:      true,
	}
	if clusterPort > 0 {
		opts.Cluster = server.ClusterOpts{Name: "classer-test", Host: "127.0.0.1", Port: clusterPort}
		opts.Routes = routes
	}
	s, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatalf("nats-server %s not ready", name)
	}
	return s
}

func connect(t *testing.T, s *server.Server) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
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
	suite(t, 1, connect(t, startNode(t, "n1", 0)))
}

// TestSuiteCluster runs the suite on three embedded nodes in one process, with three
// replicas: compare-and-swap has to hold through RAFT, from clients on every node.
func TestSuiteCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("three nodes: not in -short")
	}
	// Every node is given every route, its own included (a node skips itself): JetStream
	// in a cluster refuses to start without configured routes.
	var routes []*url.URL
	for range 3 {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", freePort(t))})
	}
	var nodes []*server.Server
	for i, r := range routes {
		port, _ := strconv.Atoi(r.Port())
		nodes = append(nodes, startNode(t, fmt.Sprintf("n%d", i+1), port, routes...))
	}
	n1, n2, n3 := nodes[0], nodes[1], nodes[2]
	suite(t, 3, connect(t, n1), connect(t, n2), connect(t, n3))
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
