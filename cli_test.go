package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify/wordvec"
	"github.com/classer-ai/classer-batch/server"
)

// TestHelpOnEveryCommand: --help (and -h) prints the command's usage and flags on stdout and
// exits 0; an unknown flag prints the usage on stderr and exits 1 (issue 14).
func TestHelpOnEveryCommand(t *testing.T) {
	ctx := context.Background()
	for _, cmd := range [][]string{{"serve"}, {"classify"}, {"eval"}, {"keys"}, {"keys", "create"}, {"keys", "list"},
		{"restore"}, {"healthcheck"}, {"version"}} {
		for _, flag := range []string{"--help", "-h"} {
			name := strings.Join(cmd, " ")
			var stdout, stderr bytes.Buffer
			err := run(ctx, append(append([]string{}, cmd...), flag), nil, nil, &stdout, &stderr)
			if err != nil {
				t.Errorf("%s %s: %v", name, flag, err)
			}
			if !strings.HasPrefix(stdout.String(), "Usage: classer-batch "+cmd[0]) || !strings.Contains(stdout.String(), "\nFlags:\n") {
				t.Errorf("%s %s printed on stdout:\n%s", name, flag, stdout.String())
			}
			if stderr.Len() != 0 {
				t.Errorf("%s %s printed on stderr: %s", name, flag, stderr.String())
			}
		}
	}
	var stdout, stderr bytes.Buffer
	if err := run(ctx, []string{"help", "classify"}, nil, nil, &stdout, &stderr); err != nil || !strings.HasPrefix(stdout.String(), "Usage: classer-batch classify") {
		t.Errorf("help classify: %v\n%s", err, stdout.String())
	}
	stdout.Reset()
	if err := run(ctx, []string{"--help"}, nil, nil, &stdout, &stderr); err != nil || !strings.Contains(stdout.String(), "Every command takes --help") {
		t.Errorf("--help: %v\n%s", err, stdout.String())
	}
	stdout.Reset()
	err := run(ctx, []string{"classify", "--no-such-flag"}, nil, nil, &stdout, &stderr)
	if err != errUsage || stdout.Len() != 0 || !strings.Contains(stderr.String(), "unknown flag: --no-such-flag") ||
		!strings.Contains(stderr.String(), "Usage: classer-batch classify") {
		t.Errorf("unknown flag: %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
	}

	// The real binary: exit 0 and the usage on stdout (it used to print "pflag: help
	// requested" and exit 1).
	out, err := exec.Command(buildBinary(t), "classify", "--help").Output()
	if err != nil || !strings.HasPrefix(string(out), "Usage: classer-batch classify") {
		t.Errorf("classer-batch classify --help: %v\n%s", err, out)
	}
}

// TestClassifySummary: `classify` ends with one line of lines, failures, tokens, the time
// taken and per-label counts, ending in a newline, and the counts are the results'.
func TestClassifySummary(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.ndjson"), filepath.Join(dir, "out.ndjson")
	if err := os.WriteFile(in, []byte(seedInput), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"single", "multi"} {
		t.Run(mode, func(t *testing.T) {
			job := filepath.Join(dir, mode+".json")
			os.WriteFile(job, []byte(`{"labels":["billing","technical","sales"],"mode":"`+mode+`","name":"seed","metadata":{"team":"support"},"model":"builtin"}`), 0o600)
			var stderr bytes.Buffer
			if err := run(context.Background(), []string{"classify", "--job", job, "-o", out, in}, nil, nil, io.Discard, &stderr); err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(out)
			res := parseResults(t, b)
			counts := map[string]int{}
			failed, tokens, none := 0, 0, 0
			for _, r := range res {
				tokens += r.Tokens
				switch {
				case r.Error != "":
					failed++
				case r.Label != "":
					counts[r.Label]++
				case len(r.Labels) == 0:
					none++
				}
				for _, l := range r.Labels {
					counts[l.Label]++
				}
			}
			want := fmt.Sprintf(`^classified %d lines \(%d failed, %d tokens\) in \d+\.\ds: billing %d, technical %d, sales %d`,
				len(res), failed, tokens, counts["billing"], counts["technical"], counts["sales"])
			if mode == "multi" && none > 0 {
				want += fmt.Sprintf(", no label %d", none)
			}
			if !regexp.MustCompile(want + "\n$").MatchString(stderr.String()) {
				t.Fatalf("summary %q; want /%s/ and a final newline", stderr.String(), want)
			}
		})
	}
}

// TestLabelCounterAcrossWrites: the counter sees results in pieces of any size.
func TestLabelCounterAcrossWrites(t *testing.T) {
	results := `{"index":0,"id":"\"label\":\"x","label":"billing","confidence":0.9,"tokens":3}
{"index":1,"labels":[{"label":"sales","confidence":0.7},{"label":"caf\u00e9 \"q\"","confidence":0.6}],"tokens":2}
{"index":2,"error":"line 3: invalid JSON","tokens":0}
{"index":3,"labels":[],"tokens":2}
{"index":4,"label":"billing","confidence":0.5,"tokens":1}
`
	for _, step := range []int{1, 7, len(results)} {
		c := newLabelCounter()
		for i := 0; i < len(results); i += step {
			c.Write([]byte(results[i:min(i+step, len(results))]))
		}
		if c.counts["billing"] != 2 || c.counts["sales"] != 1 || c.counts[`café "q"`] != 1 || len(c.counts) != 3 || c.noLabel != 1 {
			t.Errorf("pieces of %d: %v, no label %d", step, c.counts, c.noLabel)
		}
	}
}

// TestProgressBarETA: the bar shows the elapsed time and an ETA from the share read.
func TestProgressBarETA(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := start.Add(30 * time.Second)
	var w bytes.Buffer
	b := &progressBar{w: &w, size: 1000, start: start, now: func() time.Time { return now }}
	b.draw(batch.Progress{InputBytes: 250, Completed: 40, Failed: 2})
	if got := w.String(); !strings.Contains(got, " 25.0%") || !strings.Contains(got, "42 lines") ||
		!strings.Contains(got, "elapsed 30s") || !strings.Contains(got, "ETA 1m30s") {
		t.Errorf("bar %q; want 25%%, 42 lines, elapsed 30s, ETA 1m30s", got)
	}
	w.Reset()
	now = start.Add(2*time.Hour + 3*time.Minute + 4*time.Second)
	b.done(batch.Progress{InputBytes: 1000, Completed: 100})
	if got := w.String(); !strings.Contains(got, "100.0%") || !strings.Contains(got, "elapsed 2h03m04s") || !strings.Contains(got, "ETA 0s") || !strings.HasSuffix(got, "\n") {
		t.Errorf("final bar %q", got)
	}
	w.Reset()
	b.size = 0 // standard input: no total, no ETA
	b.draw(batch.Progress{InputBytes: 10, Completed: 5})
	if got := w.String(); strings.Contains(got, "ETA") || !strings.Contains(got, "5 lines") {
		t.Errorf("stdin bar %q", got)
	}
}

// TestJobFileUnknownField: a job.json field POST /v1/batch would refuse is refused offline
// too, naming it (issue 14), by classify and eval alike.
func TestJobFileUnknownField(t *testing.T) {
	dir := t.TempDir()
	job, in := filepath.Join(dir, "job.json"), filepath.Join(dir, "in.ndjson")
	os.WriteFile(job, []byte(`{"labelz":["billing","technical"]}`), 0o600)
	os.WriteFile(in, []byte(`{"text":"hi","label":"billing"}`+"\n"), 0o600)
	for _, cmd := range []string{"classify", "eval"} {
		err := run(context.Background(), []string{cmd, "--job", job, in}, nil, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), `unknown field "labelz"`) || !strings.Contains(err.Error(), "labels") {
			t.Errorf("%s with labelz: %v; want the unknown field named, and the known ones", cmd, err)
		}
	}
}

// TestVersion: `version` and GET /v1/version report the same version, commit, Go version
// and built-in model; the binary built with -X main.commit reports that commit.
func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version", "--json"}, nil, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	var cli map[string]any
	if err := json.Unmarshal(out.Bytes(), &cli); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	model, _ := cli["builtin_model"].(map[string]any)
	if cli["go_version"] != runtime.Version() || cli["version"] != version || cli["commit"] == "" ||
		model["name"] != "glove-6b-100d" || model["dims"] != 100.0 || model["words"] != 100000.0 || len(model["sha256"].(string)) != 64 {
		t.Errorf("version --json: %s", out.String())
	}

	m := startMain(t, testConfig(t, t.TempDir()))
	defer m.Close()
	var api map[string]any
	if code, _ := newClient(t, m.URL, "").do("GET", "/v1/version", nil, &api); code != 200 {
		t.Fatalf("GET /v1/version: %d", code)
	}
	a, _ := json.Marshal(api)
	c, _ := json.Marshal(cli)
	if !bytes.Equal(a, c) {
		t.Errorf("GET /v1/version %s\nversion --json   %s", a, c)
	}

	text, err := exec.Command(buildBinary(t), "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"classer-batch " + testBinaryVersion, "commit:         " + testBinaryCommit, "go:             " + runtime.Version(),
		"built-in model: glove-6b-100d, 100000 words × 100 dims"} {
		if !strings.Contains(string(text), want) {
			t.Errorf("classer-batch version lacks %q:\n%s", want, text)
		}
	}
}

// TestVersionFromBuildInfo: a build's vcs settings win over -X main.commit; without
// either the commit is "unknown".
func TestVersionFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-30T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	if v := versionFrom(bi, "1.2.3", "fromflag"); v.Commit != "abc123" || v.CommitTime != "2026-11-30T10:00:00Z" || !v.Modified || v.Version != "1.2.3" {
		t.Errorf("with vcs settings: %+v", v)
	}
	if v := versionFrom(&debug.BuildInfo{}, "dev", "fromflag"); v.Commit != "fromflag" || v.Modified {
		t.Errorf("with -X main.commit: %+v", v)
	}
	if v := versionFrom(nil, "dev", ""); v.Commit != "unknown" || v.BuiltinModel != server.BuiltinInfo(wordvec.Describe()) {
		t.Errorf("with neither: %+v", v)
	}
	if v := versionFrom(&debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "dev", ""); v.Version != "v1.4.0" {
		t.Errorf("go install @v1.4.0: %+v", v)
	}
}
