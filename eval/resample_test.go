package eval

import (
	"maps"
	"testing"
)

// TestResample: the first label's share is the one asked for, the set as large as the lines
// allow, the draw the same for a seed whatever the map order and another for another seed.
func TestResample(t *testing.T) {
	golds := map[int][]string{}
	for i := range 1000 {
		l := "no"
		if i%4 == 0 {
			l = "yes" // 250 yes, 750 no
		}
		golds[i] = []string{l}
	}
	count := func(m map[int][]string) (yes, no int) {
		for i, g := range m {
			if golds[i][0] != g[0] {
				t.Fatalf("line %d changed its label to %v", i, g)
			}
			if g[0] == "yes" {
				yes++
			} else {
				no++
			}
		}
		return
	}
	for _, c := range []struct {
		share   float64
		yes, no int
	}{
		{0.2, 187, 750}, // n = ⌊min(250/0.2, 750/0.8)⌋ = 937, round(187.4): the "no" lines limit it
		{0.5, 250, 250},
		{0.8, 250, 62}, // n = 312: the "yes" lines limit it
	} {
		got, err := Resample(golds, "yes", c.share, 1)
		if err != nil {
			t.Fatal(err)
		}
		if yes, no := count(got); yes != c.yes || no != c.no {
			t.Fatalf("share %v: %d yes / %d no, want %d / %d", c.share, yes, no, c.yes, c.no)
		}
		again, _ := Resample(maps.Clone(golds), "yes", c.share, 1)
		if !maps.EqualFunc(got, again, func(a, b []string) bool { return a[0] == b[0] }) {
			t.Fatalf("share %v: the same seed drew other lines", c.share)
		}
	}
	a, _ := Resample(golds, "yes", 0.5, 1)
	b, _ := Resample(golds, "yes", 0.5, 2)
	if maps.EqualFunc(a, b, func(x, y []string) bool { return x[0] == y[0] }) {
		t.Fatal("seeds 1 and 2 drew the same lines")
	}
	for _, bad := range []float64{0, 1, -0.5, 1.5} {
		if _, err := Resample(golds, "yes", bad, 1); err == nil {
			t.Fatalf("share %v accepted", bad)
		}
	}
	if _, err := Resample(golds, "maybe", 0.5, 1); err == nil {
		t.Fatal("a first label no line has was accepted")
	}
}
