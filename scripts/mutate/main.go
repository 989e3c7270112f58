// Command mutate checks that the tests RELIABILITY.md and PERF.md cite really guard what
// they are cited for. Each mutation in mutations.go breaks one claimed behaviour with a
// one-line change; every test named for it must then fail. A mutation that every named
// test survives, or one that no longer applies (its line changed) or no longer builds,
// fails the check.
//
// The tree is never written: a mutated copy of the file goes to a temporary folder and
// the go command reads it in place of the original through -overlay (set in GOFLAGS, so a
// test that builds the binary with `go build` builds the mutant too). Tests run without
// -race, with -count=1 and -vet=off.
//
// Usage (from anywhere in the repository):
//
//	go run ./scripts/mutate            # every mutation
//	go run ./scripts/mutate -run NAME  # those whose name matches the regexp NAME
//	go run ./scripts/mutate -list      # print the table
//	go run ./scripts/mutate -p 1       # one at a time (default: one per CPU)
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/cpu"
)

// mutation is one named breakage of a claimed behaviour.
type mutation struct {
	name string // the behaviour that is broken
	file string // relative to the repository root
	// old must occur exactly once in file; it may span lines to be unique, but only
	// one line differs in new.
	old, new string
	// tests are "pkg:TestName" (pkg as for go test, "." for the root package). Each
	// must fail with the mutation.
	tests []string
	note  string // why a test one might expect is not listed, for instance
	// needs names an environment variable the tests need (they skip without it): with it
	// unset the mutation is reported as not run, and does not fail the check.
	needs string
	// avx512 marks a mutation of an AVX-512 kernel: its tests skip that kernel on a processor
	// without AVX-512, so there it is reported as not run.
	avx512 bool
	// directIO marks a mutation whose tests read files with O_DIRECT: they skip where the
	// temp dir's filesystem does not enforce it (tmpfs), so there it is reported as not run.
	directIO bool
}

func main() {
	run := flag.String("run", "", "only the mutations whose name matches this regexp")
	list := flag.Bool("list", false, "print the mutations and their tests, run nothing")
	verbose := flag.Bool("v", false, "print go test's output for every mutation")
	timeout := flag.Duration("timeout", 5*time.Minute, "go test -timeout for each package run")
	// Most of a mutation's time is a relink and tests that wait on servers and processes,
	// so two at a time on two cores nearly halve the check. Each mutation has its own
	// overlay folder and its tests pick free ports and temp dirs, so they do not collide.
	parallel := flag.Int("p", runtime.NumCPU(), "mutations checked at the same time")
	flag.Parse()

	root, err := repoRoot()
	if err != nil {
		fatal(err)
	}
	var sel []mutation
	re, err := regexp.Compile(*run)
	if err != nil {
		fatal(err)
	}
	for _, m := range mutations {
		if re.MatchString(m.name) {
			sel = append(sel, m)
		}
	}
	if *list {
		for _, m := range sel {
			fmt.Printf("%s\n  %s: %q -> %q\n  caught by %s\n", m.name, m.file, changedLine(m.old, m.new), changedLine(m.new, m.old), strings.Join(m.tests, ", "))
			if m.note != "" {
				fmt.Printf("  (%s)\n", m.note)
			}
		}
		return
	}
	if len(sel) == 0 {
		fatal(fmt.Errorf("no mutation matches %q", *run))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tmp, err := os.MkdirTemp("", "classer-mutate-")
	if err != nil {
		fatal(err)
	}
	defer os.RemoveAll(tmp)

	start := time.Now()
	type result struct {
		ok, skipped bool
		line, out   string
	}
	directIO := directIOHere()
	results := make([]chan result, len(sel))
	sem := make(chan struct{}, max(*parallel, 1))
	for i := range sel {
		results[i] = make(chan result, 1)
	}
	// Started in the table's order, so the one printed next is never the one left waiting.
	go func() {
		for i, m := range sel {
			if m.needs != "" && os.Getenv(m.needs) == "" {
				results[i] <- result{skipped: true, line: fmt.Sprintf("%-8s %s: not run, its tests need %s", "skip", m.name, m.needs)}
				continue
			}
			if m.avx512 && !cpu.X86.HasAVX512F {
				results[i] <- result{skipped: true, line: fmt.Sprintf("%-8s %s: not run, this processor has no AVX-512", "skip", m.name)}
				continue
			}
			if m.directIO && !directIO {
				results[i] <- result{skipped: true, line: fmt.Sprintf("%-8s %s: not run, the temp dir's filesystem does not enforce O_DIRECT", "skip", m.name)}
				continue
			}
			sem <- struct{}{}
			go func() {
				defer func() { <-sem }()
				t0 := time.Now()
				verdict, out, err := check(ctx, root, filepath.Join(tmp, fmt.Sprint(i)), m, *timeout)
				if err != nil {
					verdict = "ERROR " + err.Error()
				}
				ok := err == nil && strings.HasPrefix(verdict, "killed")
				line := fmt.Sprintf("%-8s %s (%.1fs): %s", map[bool]string{true: "ok", false: "FAIL"}[ok], m.name, time.Since(t0).Seconds(), verdict)
				if !*verbose && ok {
					out = ""
				}
				results[i] <- result{ok: ok, line: line, out: out}
			}()
		}
	}()
	// Printed in the table's order, each as soon as it and those before it are done.
	var bad, notRun []string
	for i, m := range sel {
		r := <-results[i]
		if ctx.Err() != nil {
			fmt.Println("interrupted")
			os.RemoveAll(tmp)
			os.Exit(1)
		}
		fmt.Println(r.line)
		switch {
		case r.skipped:
			notRun = append(notRun, m.name)
		case !r.ok:
			bad = append(bad, m.name)
		}
		if r.out != "" {
			fmt.Println(indent(r.out))
		}
	}
	fmt.Printf("%d mutations, %d not caught, %d not run, in %.0fs\n", len(sel), len(bad), len(notRun), time.Since(start).Seconds())
	if len(bad) > 0 {
		fmt.Println("not caught by the tests named for them:", strings.Join(bad, "; "))
		os.RemoveAll(tmp)
		os.Exit(1)
	}
}

// check applies m in an overlay under dir and runs its tests. The verdict starts with
// "killed" when every named test failed.
func check(ctx context.Context, root, dir string, m mutation, timeout time.Duration) (verdict, output string, err error) {
	src := filepath.Join(root, m.file)
	mutated, err := apply(src, m)
	if err != nil {
		return "", "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", err
	}
	file := filepath.Join(dir, filepath.Base(m.file))
	if err := os.WriteFile(file, mutated, 0o600); err != nil {
		return "", "", err
	}
	overlay, err := json.Marshal(map[string]map[string]string{"Replace": {src: file}})
	if err != nil {
		return "", "", err
	}
	overlayFile := filepath.Join(dir, "overlay.json")
	if err := os.WriteFile(overlayFile, overlay, 0o600); err != nil {
		return "", "", err
	}

	byPkg := map[string][]string{}
	var pkgs []string
	for _, t := range m.tests {
		pkg, name, _ := strings.Cut(t, ":")
		if _, seen := byPkg[pkg]; !seen {
			pkgs = append(pkgs, pkg)
		}
		byPkg[pkg] = append(byPkg[pkg], name)
	}
	var survived []string
	var all strings.Builder
	for _, pkg := range pkgs {
		names := byPkg[pkg]
		// -vet=off: vet has nothing to say about a verdict, which counts only failing tests
		// (CI vets the real tree), yet it reruns on every mutant of a package it depends on.
		args := []string{"test", "-count=1", "-vet=off", "-timeout", timeout.String(), "-run", "^(" + strings.Join(names, "|") + ")$", pkgArg(pkg)}
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -overlay="+overlayFile))
		// go test's own children (the test binary, a `go build` of the binary) go with it.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		out, runErr := cmd.CombinedOutput()
		all.Write(out)
		text := string(out)
		if strings.Contains(text, "[build failed]") || strings.Contains(text, "[setup failed]") {
			return "", all.String(), errors.New("the mutant does not build; update the mutation")
		}
		var exitErr *exec.ExitError
		if runErr != nil && !errors.As(runErr, &exitErr) {
			return "", all.String(), runErr
		}
		for _, n := range names {
			failed := strings.Contains(text, "--- FAIL: "+n+" ") ||
				(strings.Contains(text, "panic: test timed out") && strings.Contains(text, n))
			if !failed {
				survived = append(survived, pkg+":"+n)
			}
		}
	}
	if len(survived) > 0 {
		return "SURVIVED: " + strings.Join(survived, ", ") + " passed with the mutation", all.String(), nil
	}
	return "killed by " + strings.Join(m.tests, ", "), all.String(), nil
}

// apply returns the file with m applied; old must occur exactly once.
func apply(path string, m mutation) ([]byte, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if n := bytes.Count(src, []byte(m.old)); n != 1 {
		return nil, fmt.Errorf("%s: the text to mutate occurs %d times (want exactly once); update the mutation", m.file, n)
	}
	if m.old == m.new {
		return nil, errors.New("old and new are the same")
	}
	return bytes.Replace(src, []byte(m.old), []byte(m.new), 1), nil
}

func pkgArg(pkg string) string {
	if pkg == "." || strings.HasPrefix(pkg, "./") {
		return pkg
	}
	return "./" + pkg
}

// changedLine is the first line of a that is not in b, for -list.
func changedLine(a, b string) string {
	bl := strings.Split(b, "\n")
	for _, l := range strings.Split(a, "\n") {
		if !slices.Contains(bl, l) {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(a)
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the module")
	}
	return filepath.Dir(mod), nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > 60 {
		lines = append(lines[:30], append([]string{"    ..."}, lines[len(lines)-30:]...)...)
	}
	return "    " + strings.Join(lines, "\n    ")
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "mutate:", err)
	os.Exit(2)
}
