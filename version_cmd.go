package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/spf13/pflag"

	"github.com/classer-ai/classer-batch/classify/wordvec"
	"github.com/classer-ai/classer-batch/server"
)

// version and commit are set at build time:
//
//	go build -ldflags "-X main.version=1.4.0 -X main.commit=$(git rev-parse HEAD)"
//
// A build from a git checkout with -buildvcs=true records the commit itself (debug.
// ReadBuildInfo's vcs.revision), which wins over the flag.
var (
	version = "dev"
	commit  = ""
)

// buildVersion is this binary's version information.
func buildVersion() server.VersionInfo {
	bi, _ := debug.ReadBuildInfo()
	return versionFrom(bi, version, commit)
}

// versionFrom reads the commit from the build's vcs settings, falling back to the
// -X main.commit value, and "unknown" without either.
func versionFrom(bi *debug.BuildInfo, version, commit string) server.VersionInfo {
	v := server.VersionInfo{
		Version:      version,
		Commit:       commit,
		GoVersion:    runtime.Version(),
		Platform:     runtime.GOOS + "/" + runtime.GOARCH,
		BuiltinModel: server.BuiltinInfo(wordvec.Describe()),
	}
	if bi != nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.time":
				v.CommitTime = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
		if v.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v.Version = bi.Main.Version // go install …@vX.Y.Z
		}
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	return v
}

const versionUsage = `Usage: classer-batch version [--json]

Prints the version, the commit it was built from, the Go version and the built-in model.
GET /v1/version on a running appliance answers the same as JSON.
`

func runVersion(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("version", pflag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON, as GET /v1/version does")
	if err := parseFlags(fs, args, versionUsage, stdout, stderr); err != nil {
		return err
	}
	v := buildVersion()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	modified := ""
	if v.Modified {
		modified = " (with uncommitted changes)"
	}
	m := v.BuiltinModel
	fmt.Fprintf(stdout, "classer-batch %s\ncommit:         %s%s\ngo:             %s %s\nbuilt-in model: %s, %d words × %d dims, sha256 %s\n",
		v.Version, v.Commit, modified, v.GoVersion, v.Platform, m.Name, m.Words, m.Dims, m.SHA256[:12])
	return nil
}
