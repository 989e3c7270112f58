package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/cluster"
	"github.com/classer-ai/classer-batch/store"
	"github.com/classer-ai/classer-batch/store/kvstore"
)

// restoreToCluster is `classer-batch restore --to-cluster`: a single node's backup and
// objects moved into a running cluster (issue 25). The objects go first and the records
// after, so that no job shows in the cluster before its results are there; both steps
// can be run again after a failure (objects already copied are skipped; with --force the
// records written are written again).
func restoreToCluster(ctx context.Context, flags *pflag.FlagSet, environ []string, stdout io.Writer) error {
	backup := flags.Arg(0)
	var extra []string
	if v, _ := flags.GetStringSlice("connect"); flags.Changed("connect") {
		extra = append(extra, "CLASSER_CLUSTER_CONNECT="+strings.Join(v, ","))
	}
	// A client of the cluster, as a worker is. The name only passes the configuration's
	// check: a restore starts no job, so it is recorded nowhere.
	environ = append(append([]string{"CLASSER_CLUSTER_ENABLED=true", "CLASSER_CLUSTER_NODE_NAME=restore"}, environ...), extra...)
	cfg, err := loadConfig(flags, environ)
	if len(cfg.Cluster.Connect) == 0 && (err == nil || cfg.Storage.Kind != "") {
		return errors.New("restore --to-cluster: --connect (cluster.connect, CLASSER_CLUSTER_CONNECT) must name the cluster's NATS client URLs")
	}
	if err != nil {
		return err
	}
	objectsDir, _ := flags.GetString("objects")
	force, _ := flags.GetBool("force")

	sum, err := store.Inspect(backup)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if n := sum.Jobs[batch.StatusProcessing]; n > 0 {
		return fmt.Errorf("restore: %s holds %d job(s) that were processing: a cluster cannot resume a single node's run; "+
			"let them finish (or cancel them) on the single node, then take the backup again", backup, n)
	}
	if objectsDir != "" {
		if fi, err := os.Stat(objectsDir); err != nil || !fi.IsDir() {
			return fmt.Errorf("restore: --objects %s: not a directory (want the single node's data_dir/objects)", objectsDir)
		}
	}

	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	nc, js, err := cluster.Dial(dctx, cfg.Cluster.Connect, cfg.Cluster.TLS())
	cancel()
	if err != nil {
		return fmt.Errorf("cluster.connect: %w", err)
	}
	defer nc.Close()
	octx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	db, err := kvstore.Open(octx, js, kvstore.Config{Replicas: cfg.Cluster.Replicas})
	cancel()
	if err != nil {
		return fmt.Errorf("cluster state: %w", err)
	}
	have, err := db.Holding(ctx)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if !have.Empty() && !force {
		return fmt.Errorf("restore: the cluster already holds %s: give --force to write the backup's records over them", have)
	}
	fmt.Fprintf(stdout, "checked %s: a classer-batch database, %s\n", backup, sum)

	objects, err := (&Main{Config: cfg}).openBlobs(ctx, nil, "")
	if err != nil {
		return err
	}
	if objectsDir != "" {
		copied, kept, err := copyObjects(ctx, objectsDir, objects)
		if err != nil {
			return fmt.Errorf("restore: copy objects: %w", err)
		}
		fmt.Fprintf(stdout, "copied %d objects from %s to bucket %s (%d were there already)\n", copied, absPath(objectsDir), cfg.Storage.S3.Bucket, kept)
	}
	// A completed job whose results are not in the bucket would be listed and then fail
	// its download: check before anything is written.
	_, err = store.Export(backup, func(rec store.Record) error {
		j := rec.Job
		if j == nil || j.Status != batch.StatusCompleted {
			return nil
		}
		if _, err := objects.Stat(ctx, j.OutputKey); err != nil {
			return fmt.Errorf("job %s's results (%s) are not in bucket %s (%w): give --objects with the single node's data_dir/objects",
				j.ID, j.OutputKey, cfg.Storage.S3.Bucket, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}

	var keys, jobs, versions, fits int
	_, err = store.Export(backup, func(rec store.Record) error {
		switch {
		case rec.Key != nil:
			keys++
		case rec.Job != nil:
			jobs++
		case rec.Classifier != nil:
			versions++
			if rec.Classifier.Fit != nil {
				fits++
			}
		}
		return db.Import(ctx, rec, force)
	})
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "wrote %d keys, %d jobs, %d classifier versions and the usage into the cluster's state\n", keys, jobs, versions)
	if fits > 0 {
		fmt.Fprintf(stdout, "%d classifier version(s) kept a fit on the single node; cluster mode keeps none, so they answer real-time calls with their spec alone\n", fits)
	}
	return nil
}

// copyObjects puts every object under dir (a local store's objects directory) into dst
// under the same key, streaming each file. An object already in dst with the same size
// is kept: objects are never changed in place, so it is this one, from an earlier run.
// Unfinished writes (dot files) are left out.
func copyObjects(ctx context.Context, dir string, dst blob.Store) (copied, kept int, err error) {
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") || !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if size, err := dst.Stat(ctx, key); err == nil && size == fi.Size() {
			kept++
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := dst.Put(ctx, key, f, -1); err != nil {
			return err
		}
		copied++
		return nil
	})
	return copied, kept, err
}
