package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify/wordvec"
	"github.com/classer-ai/classer-batch/cluster"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

const workerUsage = `Usage: classer-batch worker [flags]

Joins a cluster (issue 25) as a worker only: it takes shards of the cluster's jobs from
its work queue and classifies them; it serves no API and keeps no state (a worker that is
lost loses nothing: its shards go to other workers once their lease expires). It needs the
cluster's NATS client URLs (cluster.connect, CLASSER_CLUSTER_CONNECT or --connect), the
S3 storage (storage.*), the models (models.*, as serve has them) and a node name.
`

// runWorker is `classer-batch worker`: worker slots on the cluster's work queue until a
// signal.
func runWorker(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := configFlags("worker")
	fs.StringSlice("connect", nil, "client URLs of the cluster's NATS servers (cluster.connect)")
	fs.String("node-name", "", "this worker's name, unique in the cluster (cluster.node_name)")
	fs.Int("slots", 0, "shards worked on at once (cluster.worker_slots)")
	if err := parseFlags(fs, args, workerUsage, stdout, stderr); err != nil {
		return err
	}
	var extra []string
	if v, _ := fs.GetStringSlice("connect"); fs.Changed("connect") {
		extra = append(extra, "CLASSER_CLUSTER_CONNECT="+strings.Join(v, ","))
	}
	if v, _ := fs.GetString("node-name"); fs.Changed("node-name") {
		extra = append(extra, "CLASSER_CLUSTER_NODE_NAME="+v)
	}
	if v, _ := fs.GetInt("slots"); fs.Changed("slots") {
		extra = append(extra, fmt.Sprintf("CLASSER_CLUSTER_WORKER_SLOTS=%d", v))
	}
	// A worker is cluster mode by definition; flags override the environment.
	environ = append(append([]string{"CLASSER_CLUSTER_ENABLED=true"}, environ...), extra...)
	cfg, err := loadConfig(fs, environ)
	if len(cfg.Cluster.Connect) == 0 && (err == nil || cfg.Storage.Kind != "") {
		// Before the other errors: without it the embedded server's keys are checked,
		// which a worker does not have.
		return errors.New("worker: cluster.connect (CLASSER_CLUSTER_CONNECT or --connect) must name the cluster's NATS client URLs")
	}
	if err != nil {
		return err
	}
	if cfg.Cluster.WorkerSlots < 1 {
		return errors.New("worker: cluster.worker_slots must be at least 1")
	}
	log := newLogger(stderr, cfg.LogLevel, cfg.LogFormat)
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	nc, js, err := cluster.Dial(dctx, cfg.Cluster.Connect, cfg.Cluster.TLS())
	cancel()
	if err != nil {
		return fmt.Errorf("cluster.connect: %w", err)
	}
	defer nc.Close()
	octx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	db, err := kvstore.Open(octx, js, kvstore.Config{Replicas: cfg.Cluster.Replicas, Node: cfg.Cluster.NodeName})
	cancel()
	if err != nil {
		return fmt.Errorf("cluster state: %w", err)
	}
	m := &Main{Config: cfg, Log: log}
	objects, err := m.openBlobs(ctx, nil, "")
	if err != nil {
		return err
	}
	words, err := wordvec.NewBuiltin()
	if err != nil {
		return fmt.Errorf("load built-in model: %w", err)
	}
	clf := loadModels(cfg, words, log, os.Getenv)
	// The runner is only RunShard's: it is never started, so it runs no job of its own.
	runner := batch.NewRunner(batch.Config{
		Workers: cfg.Workers,
		Limits: batch.Limits{
			MaxTextChars:  cfg.Limits.MaxTextChars,
			ChunkLines:    cfg.Pipeline.ChunkLines,
			MaxInputBytes: cfg.Limits.MaxInputBytes,
		},
	}, db, batchBlobs{objects}, clf, log, time.Now)
	q, err := openShards(ctx, js, cfg.Cluster, runner, db, objects, log, false)
	if err != nil {
		return err
	}
	log.Info("worker ready", "node", cfg.Cluster.NodeName, "slots", cfg.Cluster.WorkerSlots, "nats", nc.ConnectedUrlRedacted())
	<-ctx.Done()
	log.Info("shutting down")
	q.Close()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.HTTP.ShutdownTimeout)
	defer cancel()
	return runner.Shutdown(sctx)
}
