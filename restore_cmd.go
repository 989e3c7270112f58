package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/classer-ai/classer-batch/store"
)

const restoreUsage = `Usage: classer-batch restore [--config FILE] [--data-dir DIR] backup.db
       classer-batch restore --to-cluster --connect URLS [--objects DIR] [--force] [--config FILE] backup.db

Installs a database backup (GET /v1/admin/backup) as the database of a stopped appliance.
It checks first that the file is a database of this appliance that this binary can read,
and refuses anything else; the database in place is kept beside it as
classer.db.before-restore-<time> (-2, -3… after it: a kept database is never overwritten).
The objects (inputs and results) are not in the backup: with local storage, put the copy
of data_dir/objects taken after the snapshot in place before starting (README "Backups").

With --to-cluster it moves a single node into a running cluster instead (README "Cluster"):
the objects under --objects (the single node's data_dir/objects) are copied to the S3
bucket of the configuration (storage.s3.*), then every record of the backup is written into
the cluster's state, reached at --connect (cluster.connect: the nodes' NATS client URLs).
A cluster that already holds jobs, classifiers or usage is refused unless --force, which
writes the backup's records over the cluster's. A backup with a job still processing is
refused: let the job finish (or cancel it) on the single node and take the backup again.
`

// runRestore is `classer-batch restore`: store.Restore with the configured data dir.
func runRestore(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := configFlags("restore")
	fs.Bool("to-cluster", false, "restore into a running cluster's state (NATS) and S3 bucket")
	fs.StringSlice("connect", nil, "with --to-cluster: the cluster's NATS client URLs (cluster.connect)")
	fs.String("objects", "", "with --to-cluster: the single node's objects directory (its data_dir/objects), copied to S3")
	fs.Bool("force", false, "with --to-cluster: write over a cluster that already holds jobs, classifiers or usage")
	if err := parseFlags(fs, args, restoreUsage, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "classer-batch restore: want exactly one backup file")
		printUsage(stderr, fs, restoreUsage)
		return errUsage
	}
	if toCluster, _ := fs.GetBool("to-cluster"); toCluster {
		return restoreToCluster(ctx, fs, environ, stdout)
	}
	for _, f := range []string{"connect", "objects", "force"} {
		if fs.Changed(f) {
			return fmt.Errorf("restore: --%s goes with --to-cluster", f)
		}
	}
	cfg, err := loadConfig(fs, environ)
	if err != nil {
		return err
	}
	dbPath := filepath.Join(cfg.DataDir, "classer.db")
	res, err := store.Restore(dbPath, fs.Arg(0), time.Now())
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	fmt.Fprintf(stdout, "checked %s: a classer-batch database, %s\n", fs.Arg(0), res.Summary)
	fmt.Fprintf(stdout, "restored it as %s\n", absPath(dbPath))
	if res.Kept != "" {
		fmt.Fprintf(stdout, "the database that was there is kept as %s\n", absPath(res.Kept))
	}
	if n := res.Summary.Jobs["processing"]; n > 0 {
		fmt.Fprintf(stdout, "%d job(s) were processing at the backup: they resume from their checkpoint when the server starts, reading their objects from storage\n", n)
	}
	if cfg.Storage.Kind == "local" {
		fmt.Fprintf(stdout, "local storage: the objects are not in the backup; put the copy of objects/ taken after this snapshot at %s before you start the server\n",
			absPath(filepath.Join(cfg.DataDir, "objects")))
	}
	return nil
}
