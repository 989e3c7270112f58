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

Installs a database backup (GET /v1/admin/backup) as the database of a stopped appliance.
It checks first that the file is a database of this appliance that this binary can read,
and refuses anything else; the database in place is kept beside it as
classer.db.before-restore-<time> (-2, -3… after it: a kept database is never overwritten).
The objects (inputs and results) are not in the backup: with local storage, put the copy
of data_dir/objects taken after the snapshot in place before starting (README "Backups").
`

// runRestore is `classer-batch restore`: store.Restore with the configured data dir.
func runRestore(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := configFlags("restore")
	if err := parseFlags(fs, args, restoreUsage, stdout, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "classer-batch restore: want exactly one backup file")
		printUsage(stderr, fs, restoreUsage)
		return errUsage
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
