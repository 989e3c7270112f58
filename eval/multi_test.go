package eval

import (
	"strings"
	"testing"
)

// TestScoreMulti: the threshold decides the labels, the top-1 baseline takes each line's best
// label, and the no-label share, labels per line and per-label ECE are computed by hand.
func TestScoreMultiMeasures(t *testing.T) {
	labels := []string{"a", "b"}
	items := []Item{
		{Gold: []string{"a"}, Scores: map[string]float64{"a": 0.9, "b": 0.35}},
		{Gold: []string{"a", "b"}, Scores: map[string]float64{"a": 0.2, "b": 0.1}},
		{Gold: []string{}, Scores: map[string]float64{"a": 0.05, "b": 0.25}},
		{Gold: []string{"b"}, Scores: map[string]float64{"a": 0.3, "b": 0.6}},
	}
	r := ScoreMulti(labels, items, 0, 0.3)
	// At 0.3: {a,b} {} {} {a,b}. a: tp 1 fp 1 fn 1; b: tp 1 fp 1 fn 1 → micro P=R=.5.
	if !near(r.MicroF1, 0.5) || !near(r.NoLabel, 0.5) || !near(r.GoldNoLabel, 0.25) {
		t.Fatalf("micro %v no-label %v gold %v", r.MicroF1, r.NoLabel, r.GoldNoLabel)
	}
	if !near(r.PerLine, 1) || !near(r.GoldPerLine, 1) {
		t.Fatalf("per line %v gold %v", r.PerLine, r.GoldPerLine)
	}
	// Top-1: a a b b; line 3 (gold {}) gets b: fp; line 2 misses b.
	// tp 3 (a, a, b), fp 1, fn 1 → micro 0.75.
	if !near(r.Top1MicroF1, 0.75) {
		t.Fatalf("top-1 micro %v", r.Top1MicroF1)
	}
	// a's confidences 0.9 (right), 0.2 (right), 0.05 (wrong), 0.3 (wrong): bins 9, 2, 0, 3:
	// |1-.9| + |1-.2| + |0-.05| + |0-.3| = 1.25 over 4. b's: .35 wrong, .1 right, .25 wrong,
	// .6 right: .35 + .9 + .25 + .4 = 1.9 over 4.
	if !near(r.LabelECE, (1.25/4+1.9/4)/2) || !near(r.LabelECEMax, 1.9/4) || r.WorstECELabel != "b" {
		t.Fatalf("label ECE %v max %v (%s)", r.LabelECE, r.LabelECEMax, r.WorstECELabel)
	}
	// Given labels: a .9 right, a .3 wrong, b .35 wrong, b .6 right: bins 9 {.9 right},
	// 3 {.3 wrong, .35 wrong}, 6 {.6 right} → (.1 + .65 + .4) / 4.
	if !near(r.TagECE, (0.1+0.65+0.4)/4) {
		t.Fatalf("tag ECE %v", r.TagECE)
	}
	var out strings.Builder
	if err := r.WriteSummary(&out); err != nil || out.String() != "0.5000 0.5000 0.7500 0.5000 0.2500 1.000 1.000 0.3937 0.4750 0.2875 4\n" {
		t.Fatalf("summary %q, %v", out.String(), err)
	}
}
