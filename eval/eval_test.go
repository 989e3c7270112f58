package eval

import (
	"math"
	"strings"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestScoreSingle(t *testing.T) {
	items := []Item{
		{Gold: []string{"a"}, Pred: []string{"a"}, Confidence: 0.95},
		{Gold: []string{"a"}, Pred: []string{"b"}, Confidence: 0.55},
		{Gold: []string{"b"}, Pred: []string{"b"}, Confidence: 0.75},
		{Gold: []string{"b"}, Pred: []string{"b"}, Confidence: 0.71},
	}
	r := Score("single", []string{"a", "b"}, items, 1)
	// a: P=1 R=.5 F1=2/3; b: P=2/3 R=1 F1=.8
	if !near(r.Accuracy, 0.75) || !near(r.MacroF1, (2.0/3+0.8)/2) || r.Failed != 1 {
		t.Fatalf("%+v", r)
	}
	// bins: 0.9 bin {0.95 right}: |1-.95|; 0.5 bin {0.55 wrong}: |0-.55|; 0.7 bin {0.75,0.71 right}: |1-.73|*2
	want := (0.05 + 0.55 + 2*0.27) / 4
	if !near(r.ECE, want) {
		t.Fatalf("ECE %v, want %v", r.ECE, want)
	}
	if len(r.Confusions) != 1 || r.Confusions[0] != (Confusion{"a", "b", 1}) {
		t.Fatalf("confusions %+v", r.Confusions)
	}
	var out strings.Builder
	r.Write(&out, 5)
	if !strings.Contains(out.String(), "macro-F1 0.7333") || !strings.Contains(out.String(), "a -> b") {
		t.Fatalf("report:\n%s", out.String())
	}
}

func TestScoreMulti(t *testing.T) {
	items := []Item{
		{Gold: []string{"grain", "corn"}, Pred: []string{"grain"}},
		{Gold: nil, Pred: nil},
		{Gold: []string{"grain"}, Pred: []string{"grain", "corn"}},
	}
	r := Score("multi", []string{"grain", "corn"}, items, 0)
	// grain: tp2 -> F1 1; corn: tp0 fp1 fn1 -> 0. exact matches: 1 of 3.
	if !near(r.MacroF1, 0.5) || !near(r.Accuracy, 1.0/3) || r.Bins != nil {
		t.Fatalf("%+v", r)
	}
	// micro: tp2 fp1 fn1 -> P=R=2/3
	if !near(r.MicroF1, 2.0/3) {
		t.Fatalf("micro %v", r.MicroF1)
	}
}

// TestScoreMacroOverGoldLabels: macro-F1 averages the labels present in the gold lines; a
// label nobody's gold (its lines all went into examples) still costs through the others'
// recall, but is not averaged in as a zero.
func TestScoreMacroOverGoldLabels(t *testing.T) {
	items := []Item{
		{Gold: []string{"a"}, Pred: []string{"a"}, Confidence: 0.9},
		{Gold: []string{"a"}, Pred: []string{"c"}, Confidence: 0.9},
		{Gold: []string{"b"}, Pred: []string{"b"}, Confidence: 0.9},
	}
	r := Score("single", []string{"a", "b", "c"}, items, 0)
	// a: P=1 R=.5 F1=2/3; b: F1=1; c: no gold line, not averaged.
	if !near(r.MacroF1, (2.0/3+1)/2) {
		t.Fatalf("macro-F1 %v, want %v (over a and b)", r.MacroF1, (2.0/3+1)/2)
	}
	if len(r.Labels) != 3 || r.Labels[2].Support != 0 || r.Labels[2].Precision != 0 {
		t.Fatalf("per-label rows %+v: c should still be listed, with support 0", r.Labels)
	}
}
