package eval

import (
	"maps"
	"testing"
)

// TestDrawExamples: k lines per label, the same draw for the same seed whatever the map
// order, another for another seed, and a multi-mode line drawn once for one of its labels.
func TestDrawExamples(t *testing.T) {
	golds := map[int][]string{}
	for i := range 40 {
		golds[i] = []string{[]string{"a", "b"}[i%2]}
	}
	golds[40] = []string{"a", "b"}
	labels := []string{"a", "b"}
	d := DrawExamples(golds, labels, 3, 7)
	count := map[string]int{}
	for i, l := range d {
		count[l]++
		found := false
		for _, g := range golds[i] {
			found = found || g == l
		}
		if !found {
			t.Fatalf("line %d drawn for %q, its golds are %v", i, l, golds[i])
		}
	}
	if count["a"] != 3 || count["b"] != 3 {
		t.Fatalf("drawn per label %v, want 3 each", count)
	}
	for range 5 {
		if again := DrawExamples(maps.Clone(golds), labels, 3, 7); !maps.Equal(again, d) {
			t.Fatalf("same seed, another draw: %v and %v", d, again)
		}
	}
	if other := DrawExamples(golds, labels, 3, 8); maps.Equal(other, d) {
		t.Fatalf("seeds 7 and 8 drew the same lines %v", d)
	}
	if len(DrawExamples(golds, labels, 0, 7)) != 0 {
		t.Fatal("k 0 drew lines")
	}
	// Every line drawn, once: the line with both labels goes to the first label.
	all := DrawExamples(golds, labels, 100, 7)
	count = map[string]int{}
	for _, l := range all {
		count[l]++
	}
	if len(all) != len(golds) || count["a"] != 21 || count["b"] != 20 || all[40] != "a" {
		t.Fatalf("k beyond the lines drew %d of %d lines: %v, line 40 for %q", len(all), len(golds), count, all[40])
	}
}
