package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/cluster"
	"github.com/classer-ai/classer-batch/cluster/shards"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

// clusterConn is what cluster mode opened: the embedded node (none with cluster.connect)
// and the client connection. The zero value is single-node mode.
type clusterConn struct {
	node  *cluster.Node
	nc    *nats.Conn
	js    jetstream.JetStream
	queue *shards.Queue
}

// stopWork stops the worker slots and the sweeper: a shard in progress is abandoned, and
// its lease expires for another worker to take it.
func (c *clusterConn) stopWork() {
	if c.queue != nil {
		c.queue.Close()
		c.queue = nil
	}
}

func (c *clusterConn) close() {
	c.stopWork()
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
		nc, js2, err := cluster.Dial(dctx, cl.Connect, cl.TLS())
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
			TLS:        cl.TLS(),
		}, m.Log, 30*time.Second)
		if err != nil {
			return nil, err
		}
		m.cluster.node = node
		if m.cluster.nc, js, err = node.Connect(); err != nil {
			return nil, err
		}
	}
	m.cluster.js = js
	octx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	db, err := kvstore.Open(octx, js, kvstore.Config{Replicas: cl.Replicas, Node: cl.NodeName, SpoolDir: m.Config.DataDir})
	if err != nil {
		return nil, fmt.Errorf("cluster state: %w", err)
	}
	m.Log.Info("cluster state store ready", "node", cl.NodeName, "replicas", cl.Replicas, "nats", m.cluster.nc.ConnectedUrlRedacted())
	return db, nil
}

// nodeJobs is the store as this node's runner sees it in cluster mode: at start it
// resumes only the processing jobs this node started (batch.Job.Node), not the ones
// other nodes started. The runner of a job only counts it and dispatches its shards
// (idempotently, so a resume dispatches nothing twice); the shards are then worked on
// and finalized by any worker (cluster/shards). A job whose node was lost before it
// dispatched every shard is adopted by the elected sweeper's node (its Node changes),
// so a node that comes back does not resume it.
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

// openShards opens the shared work queue (cluster/shards) for runner's jobs: slots
// work on shards; with sweep this process may be elected the cluster's sweeper.
func openShards(ctx context.Context, js jetstream.JetStream, cl ClusterConfig, runner shards.Runner, jobs shards.Jobs, objects blob.Store, log *slog.Logger, sweep bool) (*shards.Queue, error) {
	kind := "worker"
	if sweep {
		kind = "serve"
	}
	objs, ok := objects.(shards.Objects)
	if !ok {
		return nil, fmt.Errorf("cluster mode needs S3 storage (storage.kind s3), whose objects can be composed")
	}
	octx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	q, err := shards.Open(octx, js, shards.Config{
		Node:     cl.NodeName,
		Replicas: cl.Replicas,
		Slots:    cl.WorkerSlots,
		Window:   cl.JobWindow,
		Lease:    cl.Lease,
		Sweep:    sweep,
		Kind:     kind,
	}, runner, jobs, objs, log)
	if err != nil {
		return nil, fmt.Errorf("cluster work queue: %w", err)
	}
	q.Start()
	return q, nil
}

// clusterView is GET /v1/cluster's answer.
type clusterView struct {
	Node        string `json:"node"`         // the node that answered
	StateLeader string `json:"state_leader"` // the NATS server that leads the state bucket
	*shards.View
}

// clusterStatus answers GET /v1/cluster from this node's connection.
type clusterStatus struct {
	node string
	conn *clusterConn
}

func (c clusterStatus) ClusterStatus(ctx context.Context) (any, error) {
	view, err := c.conn.queue.View(ctx)
	if err != nil {
		return nil, err
	}
	out := clusterView{Node: c.node, View: view}
	info, err := kvstore.Retry(ctx, func(ctx context.Context) (*jetstream.StreamInfo, error) {
		s, err := c.conn.js.Stream(ctx, "KV_"+kvstore.DefaultBucket)
		if err != nil {
			return nil, err
		}
		return s.Info(ctx)
	})
	if err != nil {
		return nil, fmt.Errorf("state bucket: %w", err)
	}
	if info.Cluster != nil {
		out.StateLeader = info.Cluster.Leader
	}
	return out, nil
}
