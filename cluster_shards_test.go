package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/cluster/shards"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

// The shared work queue on real processes: versitygw, three `serve` nodes (each with
// worker slots) and one `classer-batch worker`, small shards and short leases.

// shardEnv makes jobs small shards with short leases, so that a fault test takes seconds.
var shardEnv = []string{"CLASSER_CLUSTER_SHARD_BYTES=65536", "CLASSER_CLUSTER_LEASE=3s", "CLASSER_CLUSTER_WORKER_SLOTS=1"}

// noNodeSlots is shardEnv with no worker slots on the serve nodes: only the test's
// `worker` processes work on shards, so a job cannot finish without the worker a fault
// test catches mid-shard (with slots on the nodes, a loaded machine let the nodes do
// every shard before the worker held one).
var noNodeSlots = append(slices.Clip(shardEnv), "CLASSER_CLUSTER_WORKER_SLOTS=0")

// launchWorker starts `classer-batch worker` connected to the nodes' NATS servers and
// waits until it is ready.
func launchWorker(t *testing.T, bin, name string, e s3Env, nodes []*clusterNode, env ...string) *proc {
	t.Helper()
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.nats)
	}
	cmd := exec.Command(bin, "worker", "--connect", strings.Join(urls, ","), "--node-name", name, "--slots", "2")
	cmd.Env = append(append(os.Environ(), e.environ()...), shardEnv...)
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &syncBuffer{}}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			p.logs.Write(append(sc.Bytes(), '\n'))
			if !once && strings.Contains(sc.Text(), "worker ready") {
				once = true
				close(ready)
			}
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Signal(syscall.SIGCONT)
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	select {
	case <-ready:
	case <-time.After(time.Minute):
		t.Fatalf("worker %s did not start:\n%s", name, p.logs.String())
	}
	return p
}

// shardRecord is what the test reads of a shard's record (cluster/shards).
type shardRecord struct {
	Job     string `json:"job"`
	N       int    `json:"n"`
	State   string `json:"state"`
	Worker  string `json:"worker"`
	Attempt int    `json:"attempt"`
}

// nodeJetStream is a JetStream client of a node's NATS server, closed when the test ends.
func nodeJetStream(t *testing.T, n *clusterNode) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(n.nats)
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

// shardBucket opens the shard records' bucket through a node's NATS server.
func shardBucket(t *testing.T, n *clusterNode) *kvstore.Store {
	t.Helper()
	kv, err := kvstore.Open(context.Background(), nodeJetStream(t, n), kvstore.Config{Bucket: shards.Bucket, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

func readRecords(t *testing.T, kv *kvstore.Store) []shardRecord {
	t.Helper()
	ctx := context.Background()
	keys, err := kv.RawKeys(ctx, "s.")
	if err != nil {
		t.Fatal(err)
	}
	var out []shardRecord
	for _, k := range keys {
		v, _, err := kv.RawGet(ctx, k)
		if err != nil {
			continue
		}
		var r shardRecord
		if err := json.Unmarshal(v, &r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// freezeMidShard waits until worker w (named name) works on a shard, stops it with
// SIGSTOP and checks that the shard is still its own (not committed meanwhile): w is
// then frozen in the middle of that shard, whose record it returns. It watches the
// bucket rather than polling it: a 64 KiB shard takes a worker a few milliseconds, less
// than one pass over every record under load, so a poll could miss all of them.
func freezeMidShard(t *testing.T, n *clusterNode, w *proc, name string) shardRecord {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kv := rawShardBucket(t, n)
	watch, err := kv.Watch(ctx, "s.>", jetstream.UpdatesOnly())
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Stop()
	held := func(v []byte) (shardRecord, bool) {
		var r shardRecord
		return r, json.Unmarshal(v, &r) == nil && r.State == "running" && r.Worker == name
	}
	for {
		var e jetstream.KeyValueEntry
		select {
		case e = <-watch.Updates():
		case <-ctx.Done():
			t.Fatalf("worker %s never held a shard:\n%s", name, w.logs.String())
		}
		if e == nil || e.Operation() != jetstream.KeyValuePut {
			continue
		}
		r, ok := held(e.Value())
		if !ok {
			continue
		}
		if err := w.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		if cur, err := kv.Get(ctx, e.Key()); err == nil {
			if now, ok := held(cur.Value()); ok && now.Attempt == r.Attempt {
				return now
			}
		}
		w.cmd.Process.Signal(syscall.SIGCONT) // it committed meanwhile: try again
	}
}

// rawShardBucket is the shards' KV bucket as JetStream gives it, for watching.
func rawShardBucket(t *testing.T, n *clusterNode) jetstream.KeyValue {
	t.Helper()
	kv, err := nodeJetStream(t, n).KeyValue(context.Background(), shards.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// shardedJob creates a job on node 1, uploads input and starts it on node 2.
func shardedJob(t *testing.T, nodes []*clusterNode, input []byte) string {
	t.Helper()
	c1 := newClient(t, nodes[0].p.url, acmeKey)
	job := c1.createJob(seedSpec)
	if code, body := uploadSized(t, job.UploadURL, allFields(job), bytes.NewReader(input), int64(len(input))); code != http.StatusNoContent {
		t.Fatalf("upload: %d %s", code, body)
	}
	if code, _ := newClient(t, nodes[1].p.url, acmeKey).do("POST", "/v1/batch/"+job.JobID+"/start", nil, nil); code != http.StatusAccepted {
		t.Fatalf("start on node 2: %d", code)
	}
	return job.JobID
}

// checkShardedJob polls the job on node (3, unless it was lost) until it ends, and checks
// it completed with results byte-identical to want, "index" contiguous, billed once, no
// multipart upload left open and no part left behind.
func checkShardedJob(t *testing.T, e s3Env, node *clusterNode, id string, lines int64, want []byte, jobs int64) {
	t.Helper()
	c := newClient(t, node.p.url, acmeKey)
	v := c.waitStatus(id, 3*time.Minute, "completed", "failed")
	if v.Status != "completed" || v.RequestsTotal != lines || v.RequestsCompleted+v.RequestsFailed != lines {
		t.Fatalf("job %+v (error %v)", v, v.Error)
	}
	got := c.download(id)
	if !bytes.Equal(got, want) {
		t.Fatalf("results (%d bytes) differ from the offline run's (%d bytes)", len(got), len(want))
	}
	sc := bufio.NewScanner(bytes.NewReader(got))
	for i := int64(0); sc.Scan(); i++ {
		var r struct {
			Index int64 `json:"index"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Index != i {
			t.Fatalf("result line %d has index %d (%v): not contiguous", i+1, r.Index, err)
		}
	}
	var usage usageBody
	c.do("GET", "/v1/usage", nil, &usage)
	if usage.Total.Jobs != jobs {
		t.Errorf("usage %+v, want %d jobs (this one billed once)", usage.Total, jobs)
	}
	for u := range e.client(t).ListIncompleteUploads(context.Background(), e.bucket, "jobs/", true) {
		t.Errorf("multipart upload left open: %s (%v)", u.Key, u.Err)
	}
	waitNoParts(t, e, id)
}

// waitNoParts waits until the job's parts are gone: the finalize deletes them after it
// has completed the job.
func waitNoParts(t *testing.T, e s3Env, id string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		parts := e.objects(t, shards.PartsPrefix(id))
		if len(parts) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d parts left a minute after the finalize, such as %s", len(parts), parts[0])
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
}

// TestClusterShardedJob: a job created on node 1, uploaded, started on node 2 and polled on
// node 3 is cut into shards that the three nodes' slots and a `worker` process share; it
// completes byte-identical to the offline run, with "index" contiguous, billed once and
// no multipart upload left open.
func TestClusterShardedJob(t *testing.T) {
	e := newS3Env(t)
	bin := buildBinary(t)
	input, want := reference(t, bin, 81, 40_000)
	nodes := startClusterNodes(t, bin, e, append(shardEnv, "CLASSER_API_KEYS=acme:"+acmeKey+",admin:"+adminKey)...)
	w := launchWorker(t, bin, "w1", e, nodes)
	id := shardedJob(t, nodes, input)
	checkShardedJob(t, e, nodes[2], id, 40_000, want, 1)

	// GET /v1/cluster: every process with its kind and slots, one sweeper, the queue empty.
	var view struct {
		Node        string `json:"node"`
		StateLeader string `json:"state_leader"`
		Processes   []struct {
			Node    string `json:"node"`
			Kind    string `json:"kind"`
			Slots   int    `json:"slots"`
			Lost    bool   `json:"lost"`
			Sweeper bool   `json:"sweeper"`
		} `json:"processes"`
		Queued   *uint64 `json:"queued"`
		InFlight *int    `json:"in_flight"`
	}
	seen := &sync.Map{}
	admin := &client{t: t, base: nodes[0].p.url, key: adminKey,
		http: &http.Client{Timeout: time.Minute, Transport: validating(t, nodes[0].p.url, nil, seen)}}
	if code, _ := admin.do("GET", "/v1/cluster", nil, &view); code != http.StatusOK {
		t.Fatalf("GET /v1/cluster: %d", code)
	}
	if _, ok := seen.Load("GET /v1/cluster 200"); !ok {
		t.Error("GET /v1/cluster's answer was not checked against the OpenAPI document")
	}
	var got []string
	sweepers := 0
	for _, p := range view.Processes {
		got = append(got, fmt.Sprintf("%s %s %d lost=%v", p.Node, p.Kind, p.Slots, p.Lost))
		if p.Sweeper {
			sweepers++
		}
	}
	wantProcs := []string{"n1 serve 1 lost=false", "n2 serve 1 lost=false", "n3 serve 1 lost=false", "w1 worker 2 lost=false"}
	if !slices.Equal(got, wantProcs) || sweepers != 1 || view.Node != "n1" || !strings.HasPrefix(view.StateLeader, "n") ||
		view.Queued == nil || *view.Queued != 0 || view.InFlight == nil || *view.InFlight != 0 {
		t.Errorf("GET /v1/cluster: %+v %v, want %v, one sweeper, the queue empty", view, got, wantProcs)
	}
	if code, _ := newClient(t, nodes[0].p.url, acmeKey).do("GET", "/v1/cluster", nil, nil); code != http.StatusForbidden {
		t.Errorf("GET /v1/cluster with a tenant's key: %d, want 403", code)
	}
	if len(input) < 10*65536 {
		t.Fatalf("input of %d bytes: too few shards", len(input))
	}
	if !strings.Contains(w.logs.String(), "shard done") {
		t.Errorf("the worker did no shard:\n%s", w.logs.String())
	}
}

// TestClusterKillWorkerMidShard: kill -9 a worker in the middle of a shard; its lease
// expires, the shard is worked on again elsewhere, and the job completes byte-identical,
// billed once.
func TestClusterKillWorkerMidShard(t *testing.T) {
	e := newS3Env(t)
	bin := buildBinary(t)
	input, want := reference(t, bin, 82, 40_000)
	nodes := startClusterNodes(t, bin, e, noNodeSlots...)
	w := launchWorker(t, bin, "w1", e, nodes, "CLASSER_WORKERS=1")
	id := shardedJob(t, nodes, input)
	held := freezeMidShard(t, nodes[0], w, "w1")
	if err := w.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	w.cmd.Wait()
	t.Logf("killed the worker in shard %d (attempt %d)", held.N, held.Attempt)
	launchWorker(t, bin, "w2", e, nodes)
	checkShardedJob(t, e, nodes[2], id, 40_000, want, 1)
}

// TestClusterStalledWorker: SIGSTOP a worker in the middle of a shard until its lease
// has expired and another worker has claimed the shard, then SIGCONT it: its commit is
// refused (or it finds its lease lost first) and its part deleted; the job completes
// byte-identical, billed once.
func TestClusterStalledWorker(t *testing.T) {
	e := newS3Env(t)
	bin := buildBinary(t)
	input, want := reference(t, bin, 83, 40_000)
	nodes := startClusterNodes(t, bin, e, noNodeSlots...)
	w := launchWorker(t, bin, "w1", e, nodes, "CLASSER_WORKERS=1")
	kv := shardBucket(t, nodes[0])
	id := shardedJob(t, nodes, input)
	held := freezeMidShard(t, nodes[0], w, "w1")
	launchWorker(t, bin, "w2", e, nodes)
	deadline := time.Now().Add(time.Minute)
	for { // another worker takes the shard once the lease has expired
		recs := readRecords(t, kv)
		i := slices.IndexFunc(recs, func(r shardRecord) bool { return r.Job == id && r.N == held.N })
		if i < 0 || recs[i].Attempt > held.Attempt {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("shard %d was not taken from the stalled worker", held.N)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
	if err := w.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	checkShardedJob(t, e, nodes[2], id, 40_000, want, 1)
	deadline = time.Now().Add(time.Minute)
	for !strings.Contains(w.logs.String(), "shard commit refused") && !strings.Contains(w.logs.String(), "lease was lost") {
		if time.Now().After(deadline) {
			t.Fatalf("the stalled worker never found its shard taken:\n%s", w.logs.String())
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
	waitNoParts(t, e, id)
}

// TestClusterKillFinalizer: kill -9 the process that is composing a job's results (the
// worker of the last shard, which holds the job's finalize key); once the key's lease
// expires the elected sweeper finalizes the job: completed byte-identical, billed once,
// no multipart upload left open. Small shards make many parts, so that the compose takes
// long enough to be caught; a job finalized before it could be caught is run again.
func TestClusterKillFinalizer(t *testing.T) {
	e := newS3Env(t)
	bin := buildBinary(t)
	input, want := reference(t, bin, 84, 40_000)
	nodes := startClusterNodes(t, bin, e, append(shardEnv, "CLASSER_CLUSTER_SHARD_BYTES=16384")...)
	w := launchWorker(t, bin, "w1", e, nodes, "CLASSER_CLUSTER_SHARD_BYTES=16384")
	kv := shardBucket(t, nodes[0])
	procs := map[string]*proc{"w1": w}
	for _, n := range nodes {
		procs[n.name] = n.p
	}
	t0 := time.Now()
	for try := int64(1); ; try++ {
		id := shardedJob(t, nodes, input)
		t.Logf("%s: job %s started", time.Since(t0).Round(time.Millisecond), id)
		holder := waitFinalizer(t, kv, id)
		p := procs[holder]
		if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		alive := nodes[0]
		if holder == alive.name {
			alive = nodes[1]
		}
		var v jobView
		newClient(t, alive.p.url, acmeKey).do("GET", "/v1/batch/"+id, nil, &v)
		if v.Status != "processing" {
			p.cmd.Process.Signal(syscall.SIGCONT)
			if try == 3 {
				t.Fatalf("three jobs were finalized before their finalizer could be stopped")
			}
			t.Logf("job %s finalized by %s before it could be stopped: again", id, holder)
			newClient(t, alive.p.url, acmeKey).waitStatus(id, time.Minute, "completed")
			continue
		}
		p.cmd.Process.Kill()
		p.cmd.Wait()
		t.Logf("%s: killed %s while it finalized job %s", time.Since(t0).Round(time.Millisecond), holder, id)
		checkShardedJob(t, e, alive, id, 40_000, want, try)
		t.Logf("%s: checked", time.Since(t0).Round(time.Millisecond))
		return
	}
}

// waitFinalizer waits until a process holds the job's finalize key and names it.
func waitFinalizer(t *testing.T, kv *kvstore.Store, id string) string {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if v, _, err := kv.RawGet(ctx, "f."+hex.EncodeToString([]byte(id))); err == nil {
			var l struct{ Node string }
			if err := json.Unmarshal(v, &l); err != nil {
				t.Fatal(err)
			}
			return l.Node
		}
		if time.Now().After(deadline) {
			t.Fatal("no process ever finalized the job")
		}
		time.Sleep(2 * time.Millisecond) // polling interval, not an assertion
	}
}
