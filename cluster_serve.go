package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/cluster"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

// clusterConn is what cluster mode opened: the embedded node (none with cluster.connect)
// and the client connection. The zero value is single-node mode.
type clusterConn struct {
	node *cluster.Node
	nc   *nats.Conn
}

func (c *clusterConn) close() {
	if c.nc != nil {
		c.nc.Close()
	}
	if c.node != nil {
		c.node.Close()
	}
}

// openCluster starts the embedded NATS node (or connects to cluster.connect) and opens
// the state store on it. JetStream data lives in data_dir/nats. The bucket is created
// once a majority of the nodes is up, so a node started alone waits for its peers, for
// up to two minutes.
func (m *Main) openCluster(ctx context.Context) (appStore, error) {
	cl := m.Config.Cluster
	var js jetstream.JetStream
	if len(cl.Connect) > 0 {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		nc, js2, err := cluster.Dial(dctx, cl.Connect)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("cluster.connect: %w", err)
		}
		m.cluster.nc, js = nc, js2
	} else {
		node, err := cluster.StartNode(cluster.NodeConfig{
			Name:       cl.NodeName,
			ClientAddr: cl.ClientAddr,
			RouteAddr:  cl.RouteAddr,
			Peers:      cl.Peers,
			StoreDir:   filepath.Join(m.Config.DataDir, "nats"),
		}, m.Log, 30*time.Second)
		if err != nil {
			return nil, err
		}
		m.cluster.node = node
		if m.cluster.nc, js, err = node.Connect(); err != nil {
			return nil, err
		}
	}
	octx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	db, err := kvstore.Open(octx, js, kvstore.Config{Replicas: cl.Replicas, Node: cl.NodeName})
	if err != nil {
		return nil, fmt.Errorf("cluster state: %w", err)
	}
	m.Log.Info("cluster state store ready", "node", cl.NodeName, "replicas", cl.Replicas, "nats", m.cluster.nc.ConnectedUrlRedacted())
	return db, nil
}

// nodeJobs is the store as this node's runner sees it in cluster mode: at start it
// resumes only the processing jobs this node started (batch.Job.Node), not the ones
// other nodes are running. A job whose node is lost waits for that node to come back:
// moving work between nodes is the shared work queue's job, which is not built yet.
type nodeJobs struct {
	appStore
	node string
}

func (n nodeJobs) JobsByStatus(ctx context.Context, status batch.Status) ([]*batch.Job, error) {
	jobs, err := n.appStore.JobsByStatus(ctx, status)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(jobs, func(j *batch.Job) bool { return j.Node != n.node }), nil
}
