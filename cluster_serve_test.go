package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/cluster"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

// TestClusterModeOneNode: `serve` with cluster.enabled (one embedded NATS node, replicas 1,
// S3 objects) keeps its state in JetStream, not in a bbolt file, and a job's results are
// byte-identical to a single-node run's; after a restart the job, its usage and the keys
// are still there. The single-node run starts no NATS at all.
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
	cfg.Cluster = ClusterConfig{Enabled: true, NodeName: "n1", ClientAddr: "127.0.0.1:0", RouteAddr: "127.0.0.1:0", Replicas: 1,
		ShardBytes: 16 << 10, Lease: 5 * time.Second, WorkerSlots: 2}
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

// TestClusterThreeProcesses: three `serve` processes in cluster mode on 127.0.0.1, each
// with its embedded NATS node routed to the other two, objects in S3. A job created on
// node 1 and uploaded; two jobs of one account started on nodes 2 and 3 at the same
// moment: one 202, one 409; the winner polled on node 1 to completed, its results
// byte-identical to the offline run of the same input and spec; the loser then starts
// on node 1 and completes the same; usage counts each job once.
func TestClusterThreeProcesses(t *testing.T) {
	e := newS3Env(t)
	bin := buildBinary(t)
	input, want := reference(t, bin, 77, 20_000)

	nodes := startClusterNodes(t, bin, e)
	var c []*client
	for _, n := range nodes {
		c = append(c, newClient(t, n.p.url, acmeKey))
	}

	var ids []string
	for range 2 {
		job := c[0].createJob(seedSpec)
		if code, body := uploadSized(t, job.UploadURL, allFields(job), bytes.NewReader(input), int64(len(input))); code != http.StatusNoContent {
			t.Fatalf("upload: %d %s", code, body)
		}
		ids = append(ids, job.JobID)
	}
	codes := make([]int, 2)
	var wg sync.WaitGroup
	ready := make(chan struct{})
	for i := range 2 {
		wg.Go(func() {
			<-ready
			codes[i], _ = c[1+i].do("POST", "/v1/batch/"+ids[i]+"/start", nil, nil)
		})
	}
	close(ready)
	wg.Wait()
	slices.Sort(codes)
	if codes[0] != http.StatusAccepted || codes[1] != http.StatusConflict {
		t.Fatalf("two starts of one account's jobs on two nodes at once: %v, want one 202 and one 409", codes)
	}
	winner, loser := ids[0], ids[1]
	var second jobView
	if code, _ := c[0].do("GET", "/v1/batch/"+ids[1], nil, &second); code != http.StatusOK {
		t.Fatalf("poll: %d", code)
	}
	if second.Status != "pending" { // the refused one is still pending
		winner, loser = ids[1], ids[0]
	}

	for _, id := range []string{winner, loser} {
		if id == loser {
			if code, _ := c[0].do("POST", "/v1/batch/"+id+"/start", nil, nil); code != http.StatusAccepted {
				t.Fatalf("start of the second job on node 1 after the first completed: %d", code)
			}
		}
		v := c[0].waitStatus(id, 3*time.Minute, "completed", "failed")
		if v.Status != "completed" || v.RequestsTotal != 20_000 {
			t.Fatalf("job %s: %+v", id, v)
		}
		if got := c[2].download(id); !bytes.Equal(got, want) {
			t.Fatalf("job %s: results (%d bytes) differ from the offline run's (%d bytes)", id, len(got), len(want))
		}
	}
	var usage usageBody
	c[1].do("GET", "/v1/usage", nil, &usage)
	if usage.Total.Jobs != 2 {
		t.Errorf("usage %+v, want two jobs", usage.Total)
	}
}

// TestNodeJobsResumesOwnOnly: in cluster mode a node's runner, at start, resumes only
// the processing jobs it started itself, never those another node is running.
func TestNodeJobsResumesOwnOnly(t *testing.T) {
	node, err := cluster.StartNode(cluster.NodeConfig{Name: "n1", ClientAddr: "127.0.0.1:0", StoreDir: t.TempDir()},
		newLogger(io.Discard, "error", "text"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	nc, js, err := node.Connect()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	var stores []*kvstore.Store
	for _, name := range []string{"n1", "n2"} {
		s, err := kvstore.Open(ctx, js, kvstore.Config{Replicas: 1, Node: name})
		if err != nil {
			t.Fatal(err)
		}
		stores = append(stores, s)
	}
	for i, s := range stores {
		id := fmt.Sprintf("batch_%d", i+1)
		account := fmt.Sprintf("acct%d", i+1)
		if err := s.CreateJob(ctx, &batch.Job{ID: id, Account: account}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.StartJob(ctx, account, id, 1, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	all, err := stores[0].JobsByStatus(ctx, batch.StatusProcessing)
	if err != nil || len(all) != 2 {
		t.Fatalf("processing jobs: %d, %v; want both", len(all), err)
	}
	for i, name := range []string{"n1", "n2"} {
		jobs, err := nodeJobs{stores[i], name}.JobsByStatus(ctx, batch.StatusProcessing)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) != 1 || jobs[0].ID != fmt.Sprintf("batch_%d", i+1) || jobs[0].Node != name {
			t.Errorf("node %s would resume %v", name, jobs)
		}
	}
}

// clusterNode is one `serve` process of a three-node cluster on loopback.
type clusterNode struct {
	name string
	p    *proc
	dir  string
	env  []string
	nats string // its embedded NATS server's client URL
}

// startClusterNodes starts three `serve` processes in cluster mode, each with its NATS
// node routed to the other two, objects in e's bucket (made here, so that three first
// starts do not race to make it). A node waits for a majority of the cluster before it
// serves, so all three start together and are waited for afterwards. extra adds to
// every node's environment. The nodes' ports are picked free beforehand (the routes must
// be known to every peer), so another process may take one before its node binds it:
// a node that exits because its address is in use starts the cluster again on new ports.
func startClusterNodes(t *testing.T, bin string, e s3Env, extra ...string) []*clusterNode {
	t.Helper()
	if err := e.client(t).MakeBucket(context.Background(), e.bucket, minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	for try := 1; ; try++ {
		nodes, failed := launchCluster(t, bin, e, extra)
		if failed == nil {
			return nodes
		}
		var logs strings.Builder
		for _, o := range nodes { // the failed node last: a long report keeps its end
			if o != failed {
				fmt.Fprintf(&logs, "--- %s:\n%s\n", o.name, o.p.logs.String())
			}
		}
		fmt.Fprintf(&logs, "--- %s:\n%s\n", failed.name, failed.p.logs.String())
		for _, o := range nodes {
			o.p.cmd.Process.Kill()
			<-o.p.closed
		}
		if !strings.Contains(failed.p.logs.String(), "address already in use") || try == 3 {
			t.Fatalf("node %s did not start:\n%s", failed.name, logs.String())
		}
		t.Logf("node %s found a port taken: the cluster starts again on other ports", failed.name)
	}
}

// launchCluster starts the three nodes and waits until each serves; failed is the first
// that exited or did not serve within two minutes (nil when all serve).
func launchCluster(t *testing.T, bin string, e s3Env, extra []string) (nodes []*clusterNode, failed *clusterNode) {
	t.Helper()
	var routes []string
	for range 3 {
		routes = append(routes, freeAddr(t))
	}
	nodes = make([]*clusterNode, 3)
	founds := make([]chan string, 3)
	for i := range nodes {
		var peers []string
		for j, r := range routes {
			if j != i {
				peers = append(peers, "nats://"+r)
			}
		}
		n := &clusterNode{name: fmt.Sprintf("n%d", i+1), dir: t.TempDir()}
		clientAddr := freeAddr(t)
		n.nats = "nats://" + clientAddr
		n.env = append(e.environ(),
			"CLASSER_CLUSTER_ENABLED=true",
			"CLASSER_CLUSTER_NODE_NAME="+n.name,
			"CLASSER_CLUSTER_CLIENT_ADDR="+clientAddr,
			"CLASSER_CLUSTER_ROUTE_ADDR="+routes[i],
			"CLASSER_CLUSTER_PEERS="+strings.Join(peers, ","),
		)
		n.env = append(n.env, extra...)
		n.p, founds[i] = launchProc(t, bin, n.dir, "127.0.0.1:0", n.env...)
		nodes[i] = n
	}
	// All three at once: a node that exits is seen while the others still wait for it.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var waiting *clusterNode
		for i, n := range nodes {
			if n.p.url != "" {
				continue
			}
			select {
			case n.p.url = <-founds[i]:
				continue
			case <-n.p.closed:
				return nodes, n
			default:
			}
			if waiting == nil {
				waiting = n
			}
		}
		if waiting == nil {
			return nodes, nil
		}
		if time.Now().After(deadline) {
			return nodes, waiting
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
}

func (n *clusterNode) wait(t *testing.T, found chan string) {
	t.Helper()
	select {
	case n.p.url = <-found:
	case <-n.p.closed:
		t.Fatalf("node %s exited before it served:\n%s", n.name, n.p.logs.String())
	case <-time.After(2 * time.Minute):
		t.Fatalf("node %s did not start:\n%s", n.name, n.p.logs.String())
	}
}

// restart starts the node again on its data dir, after a kill.
func (n *clusterNode) restart(t *testing.T, bin string) {
	t.Helper()
	p, found := launchProc(t, bin, n.dir, "127.0.0.1:0", n.env...)
	n.p = p
	n.wait(t, found)
}

// TestClusterKillBucketLeader: kill -9 the node that leads the state bucket in the middle
// of a job, and restart it later. The job ends completed with results byte-identical to
// the offline run and is billed once: the shards the killed node was working on go to
// the other nodes' slots once their lease expires, the others go on through the
// bucket's new leader; when the killed node was the job's own (node 2) it dispatches
// again on its restart, which changes nothing (the shards exist).
func TestClusterKillBucketLeader(t *testing.T) {
	e := newS3Env(t)
	bin := buildBinary(t)
	input, want := reference(t, bin, 78, 300_000)
	// Shards of 1 MiB, so that the job shows progress (its done shards) mid-way.
	nodes := startClusterNodes(t, bin, e, "CLASSER_CLUSTER_SHARD_BYTES=1048576", "CLASSER_CLUSTER_LEASE=3s")

	c1 := newClient(t, nodes[0].p.url, acmeKey)
	job := c1.createJob(seedSpec)
	if code, body := uploadSized(t, job.UploadURL, allFields(job), bytes.NewReader(input), int64(len(input))); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, body)
	}
	// Mid-job is once a shard is done: the job's own progress moves only on the sweeper's
	// tick, which a fast run can outpace (the job completed before it showed any).
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	watch, err := rawShardBucket(t, nodes[0]).Watch(ctx, "s.>", jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := newClient(t, nodes[1].p.url, acmeKey).do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != http.StatusAccepted {
		t.Fatalf("start on node 2: %d", code)
	}
	for done := false; !done; {
		select {
		case e := <-watch.Updates():
			var r shardRecord
			done = e != nil && json.Unmarshal(e.Value(), &r) == nil && r.Job == job.JobID && r.State == "done"
		case <-ctx.Done():
			t.Fatal("no shard of the job was done within a minute")
		}
	}
	watch.Stop()
	var v jobView
	c1.do("GET", "/v1/batch/"+job.JobID, nil, &v)
	if v.Status != "processing" {
		t.Fatalf("the job finished before the kill (%+v): make the input larger", v)
	}

	nc, err := nats.Connect(nodes[2].nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(context.Background(), "KV_"+kvstore.DefaultBucket)
	if err != nil {
		t.Fatal(err)
	}
	leader := stream.CachedInfo().Cluster.Leader
	lost := slices.IndexFunc(nodes, func(n *clusterNode) bool { return n.name == leader })
	if lost < 0 {
		t.Fatalf("the bucket's leader %q is none of the nodes", leader)
	}
	nc.Close()
	if err := nodes[lost].p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	nodes[lost].p.cmd.Wait()
	t.Logf("killed %s, the bucket's leader (node 2 started the job)", leader)
	if lost == 1 {
		nodes[lost].restart(t, bin) // the job's own node
	}
	survivor := nodes[(lost+1)%3]
	c := newClient(t, survivor.p.url, acmeKey)
	if v := c.waitStatus(job.JobID, 3*time.Minute, "completed", "failed"); v.Status != "completed" || v.RequestsTotal != 300_000 {
		t.Fatalf("job after the leader was killed: %+v", v)
	}
	if got := c.download(job.JobID); !bytes.Equal(got, want) {
		t.Fatalf("results (%d bytes) differ from the offline run's (%d bytes)", len(got), len(want))
	}
	if lost != 1 {
		nodes[lost].restart(t, bin) // later: it rejoins and serves the same state
	}
	var usage usageBody
	newClient(t, nodes[lost].p.url, acmeKey).do("GET", "/v1/usage", nil, &usage)
	if usage.Total.Jobs != 1 {
		t.Errorf("usage %+v, want the job billed once", usage.Total)
	}
}
