package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/classer-ai/classer-batch/store"
)

const keysUsage = `Usage: classer-batch keys create --account NAME [--admin] | list | revoke ID   [--config FILE] [--data-dir DIR]

Manages API keys in the database directly, while the server is stopped (the database
admits one process). A new key is printed once; only its hash is stored.
`

// runKeys manages keys directly in the database, for when the server is stopped
// (bbolt allows one process at a time; store.Open says so when the server runs).
func runKeys(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("keys: want a subcommand: create --account NAME [--admin] | list | revoke ID")
	}
	sub := args[0]
	fs := configFlags("keys " + sub)
	account := fs.String("account", "", "account the new key belongs to (create)")
	admin := fs.Bool("admin", false, "make an admin key (create)")
	if sub == "-h" || sub == "--help" || sub == "help" {
		return parseFlags(fs, []string{"--help"}, keysUsage, stdout, stderr)
	}
	if err := parseFlags(fs, args[1:], keysUsage, stdout, stderr); err != nil {
		return err
	}
	cfg, err := loadConfig(fs, environ)
	if err != nil {
		return err
	}
	db, err := store.Open(filepath.Join(cfg.DataDir, "classer.db"))
	if err != nil {
		return err
	}
	defer db.Close()

	switch sub {
	case "create":
		if *account == "" {
			return errors.New("keys create: --account is required")
		}
		secret, k, err := db.CreateKey(ctx, *account, *admin)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", secret)
		fmt.Fprintf(stdout, "# key %s for account %q; this is the only time it is shown\n", k.ID, k.Account)
		return nil
	case "list":
		keys, err := db.Keys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tACCOUNT\tPREFIX\tADMIN\tCREATED\tREVOKED")
		for _, k := range keys {
			revoked := "-"
			if !k.RevokedAt.IsZero() {
				revoked = k.RevokedAt.UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s…\t%t\t%s\t%s\n", k.ID, k.Account, k.Prefix, k.Admin, k.CreatedAt.UTC().Format(time.RFC3339), revoked)
		}
		return tw.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New("keys revoke: want exactly one key ID (see keys list)")
		}
		if err := db.RevokeKey(ctx, fs.Arg(0)); err != nil {
			return fmt.Errorf("revoke %s: %w", fs.Arg(0), err)
		}
		fmt.Fprintf(stdout, "revoked %s\n", fs.Arg(0))
		return nil
	default:
		return fmt.Errorf("keys: unknown subcommand %q (want create, list or revoke)", sub)
	}
}
