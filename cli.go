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

// errUsage: the usage was printed to stderr already; exit 1 without another message.
var errUsage = errors.New("usage")

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

// configFlags are the flags of the commands that work on an appliance's data: the config
// file and the data dir. serve and healthcheck add their own; restore and keys need no more.
func configFlags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.String("config", "", "YAML config file")
	fs.String("data-dir", "", "data directory (default ./data)")
	return fs
}

// serveFlags are serve's flags but TLS (addTLSFlags in serve_tls.go): the configuration's
// and where the appliance listens and is reached.
func serveFlags(name string) *pflag.FlagSet {
	fs := configFlags(name)
	fs.String("addr", "", "listen address (default 127.0.0.1:8080)")
	fs.String("public-url", "", "base URL handed out in upload and download URLs")
	return fs
}

// modelFlags are the offline commands' (classify, eval) choice of a configured model: the
// configuration serve reads (file and CLASSER_* environment) for its models, and a name.
func modelFlags(fs *pflag.FlagSet) {
	fs.String("config", "", "YAML config file, for its models")
	fs.String("model", "", "configured model to run (default: the job's \"model\", else default_model)")
}

func printUsage(w io.Writer, fs *pflag.FlagSet, usage string) {
	fmt.Fprint(w, strings.TrimRight(usage, "\n")+"\n")
	if flags := fs.FlagUsages(); flags != "" {
		fmt.Fprintf(w, "\nFlags:\n%s", flags)
	}
}
