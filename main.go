// Command classer-batch is a self-hosted batch text-classification appliance.
// main only wires: each command is in its <command>_cmd.go, the flag helpers they share in
// cli.go, the job.json the offline commands read in jobfile.go, the server's lifecycle in
// serve.go, and the work in the packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `classer-batch — self-hosted batch text classification

Usage:
  classer-batch serve       [--config FILE] [--addr ADDR] [--data-dir DIR] [--public-url URL] [--tls-cert FILE --tls-key FILE]
  classer-batch worker      [--config FILE] [--connect URLS] [--node-name NAME] [--slots N]
  classer-batch classify    --job job.json [--config FILE] [--model NAME] [-o results.ndjson] input.ndjson
  classer-batch eval        --job job.json [--config FILE] [--model NAME] [--examples K --seed S] labelled.ndjson
  classer-batch keys        create --account NAME [--admin] | list | revoke ID   [--config FILE] [--data-dir DIR]
  classer-batch restore     [--config FILE] [--data-dir DIR] backup.db
  classer-batch restore     --to-cluster --connect URLS [--objects DIR] [--force] [--config FILE] backup.db
  classer-batch healthcheck [--config FILE] [--addr ADDR] [--url URL] [--cert FILE | --self-signed | --insecure]
  classer-batch version     [--json]

Every command takes --help. Configuration: defaults < --config FILE (YAML) < CLASSER_*
environment < flags. See config.example.yaml for every key.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "classer-batch:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	err := dispatch(ctx, args, environ, stdin, stdout, stderr)
	if errors.Is(err, errHelp) {
		return nil // --help printed the command's usage on stdout
	}
	return err
}

func dispatch(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], environ, stdout, stderr)
	case "worker":
		return runWorker(ctx, args[1:], environ, stdout, stderr)
	case "classify":
		return runClassify(ctx, args[1:], environ, stdin, stdout, stderr)
	case "eval":
		return runEval(ctx, args[1:], environ, stdout, stderr)
	case "keys":
		return runKeys(ctx, args[1:], environ, stdout, stderr)
	case "restore":
		return runRestore(ctx, args[1:], environ, stdout, stderr)
	case "healthcheck":
		return runHealthcheck(ctx, args[1:], environ, stdout, stderr)
	case "version", "--version":
		return runVersion(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		if len(args) > 1 && args[1] != "help" && !strings.HasPrefix(args[1], "-") {
			return dispatch(ctx, []string{args[1], "--help"}, environ, stdin, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", args[0], usage)
		return errUsage
	}
}
