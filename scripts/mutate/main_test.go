package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMutationsApply keeps the table from rotting between mutation runs: every mutation
// applies to today's file (its text occurs exactly once and changes one line), and every
// test it names exists in the package it names.
func TestMutationsApply(t *testing.T) {
	root, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range mutations {
		if names[m.name] {
			t.Errorf("two mutations are named %q", m.name)
		}
		names[m.name] = true
		if _, err := apply(filepath.Join(root, m.file), m); err != nil {
			t.Errorf("%s: %v", m.name, err)
		}
		oldLines, newLines := strings.Split(m.old, "\n"), strings.Split(m.new, "\n")
		changed := 0
		for i := range oldLines {
			if i >= len(newLines) || oldLines[i] != newLines[i] {
				changed++
			}
		}
		if len(oldLines) != len(newLines) || changed != 1 {
			t.Errorf("%s: changes %d lines of %d; a mutation changes one line", m.name, changed, len(oldLines))
		}
		if len(m.tests) == 0 {
			t.Errorf("%s: names no test", m.name)
		}
		for _, ref := range m.tests {
			pkg, name, ok := strings.Cut(ref, ":")
			if !ok || !testExists(t, filepath.Join(root, pkg), name) {
				t.Errorf("%s: no test %q", m.name, ref)
			}
		}
	}
}

func testExists(t *testing.T, dir, name string) bool {
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^func ` + regexp.QuoteMeta(name) + `\(`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if re.Match(b) {
			return true
		}
	}
	return false
}
