package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// errHelp: --help printed the command's usage on stdout; run answers nil (exit 0).
var errHelp = errors.New("help requested")

// parseFlags parses a command's flags. --help (or -h) prints usage and the flags on
// stdout and returns errHelp, which run turns into exit 0; an unknown or malformed flag
// prints the error, usage and the flags on stderr and returns errUsage (exit 1).
// pflag's own printing is silenced so that each message is printed once, where it belongs.
func parseFlags(fs *pflag.FlagSet, args []string, usage string, stdout, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		printUsage(stdout, fs, usage)
		return errHelp
	case err != nil:
		fmt.Fprintf(stderr, "classer-batch %s: %v\n\n", fs.Name(), err)
		printUsage(stderr, fs, usage)
		return errUsage
	}
	return nil
}

// configFlags are the flags of every command that reads the configuration: the file and
// the data dir. serve adds its own; restore and keys need no more.
func configFlags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.String("config", "", "YAML config file")
	fs.String("data-dir", "", "data directory (default ./data)")
	return fs
}

func printUsage(w io.Writer, fs *pflag.FlagSet, usage string) {
	fmt.Fprint(w, strings.TrimRight(usage, "\n")+"\n")
	if flags := fs.FlagUsages(); flags != "" {
		fmt.Fprintf(w, "\nFlags:\n%s", flags)
	}
}

// Each command's usage, printed by --help above its flags.

const serveUsage = `Usage: classer-batch serve [flags]

Runs the appliance: the HTTP API and web console, the batch pipeline and the database.
On first start with no key configured it prints an admin key once on stderr.
HTTPS: --tls-cert and --tls-key, or tls.self_signed: true (CLASSER_TLS_SELF_SIGNED=true)
for a certificate made on first start and kept in the data dir.
`

const classifyUsage = `Usage: classer-batch classify --job job.json [-o results.ndjson] input.ndjson

Classifies an NDJSON file offline with the batch pipeline, without a server or database.
job.json is the body you would POST to /v1/batch; input.ndjson may be - for stdin.
A progress bar with the elapsed time and an ETA shows when stderr is a terminal; a summary
line (lines, failed, tokens, per-label counts, elapsed) ends every run.
`

const evalUsage = `Usage: classer-batch eval --job job.json [--names-only] [--text-type T] [--reference] [--examples K --seed S] labelled.ndjson

Scores the batch pipeline on lines you labelled ({"text":…,"label":…}, or "labels":[…] in
multi mode): accuracy, macro-F1, per-label scores, top confusions and calibration.
`

const keysUsage = `Usage: classer-batch keys create --account NAME [--admin] | list | revoke ID   [--config FILE] [--data-dir DIR]

Manages API keys in the database directly, while the server is stopped (the database
admits one process). A new key is printed once; only its hash is stored.
`
