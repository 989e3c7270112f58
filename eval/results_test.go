package eval

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

// TestResults: result lines split across writes become items paired with their line's
// gold; single answers, multi answers and errors (counted as failed) all read.
func TestResults(t *testing.T) {
	out := `{"index":0,"label":"a","confidence":0.9}
{"index":1,"error":"text too long"}
{"index":2,"labels":[{"label":"a"},{"label":"b"}]}
{"index":3,"label":"b","confidence":0.6}
`
	var r Results
	for _, part := range []string{out[:10], out[10:50], out[50:]} {
		if n, err := r.Write([]byte(part)); err != nil || n != len(part) {
			t.Fatalf("write: %d, %v", n, err)
		}
	}
	gold := [][]string{{"a"}, {"b"}, {"b"}, {"a"}}
	items, failed, err := r.Items(gold)
	if err != nil || failed != 1 {
		t.Fatalf("failed %d, err %v", failed, err)
	}
	want := []Item{
		{Gold: []string{"a"}, Pred: []string{"a"}, Confidence: 0.9},
		{Gold: []string{"b"}, Pred: []string{"a", "b"}, Scores: map[string]float64{"a": 0, "b": 0}},
		{Gold: []string{"a"}, Pred: []string{"b"}, Confidence: 0.6},
	}
	if !reflect.DeepEqual(items, want) {
		t.Fatalf("items %+v, want %+v", items, want)
	}

	var cut Results
	io.WriteString(&cut, `{"index":0,"label":"a"}`+"\n"+`{"index":1,`)
	if _, _, err := cut.Items(gold); err == nil {
		t.Fatal("a truncated last line was not an error")
	}
	var bad Results
	if _, err := io.WriteString(&bad, "not json\n"); err == nil {
		t.Fatal("a line that is not JSON was not an error")
	}
}

// TestWriteSummary: the one-line summary scripts/eval.sh reads, with "-" for the ECE of
// answers without confidence.
func TestWriteSummary(t *testing.T) {
	r := Report{MacroF1: 0.12345, Accuracy: 0.5, ECE: 0.25, N: 7}
	var b strings.Builder
	r.WriteSummary(&b, true)
	r.WriteSummary(&b, false)
	if want := "0.1235 0.5000 0.2500 7\n0.1235 0.5000 - 7\n"; b.String() != want {
		t.Fatalf("summary %q, want %q", b.String(), want)
	}
}

// TestWriteSummaryShares: the summary ends with the share of lines given each named label,
// counted from Score's predictions (0 for a label never given).
func TestWriteSummaryShares(t *testing.T) {
	items := []Item{
		{Gold: []string{"a"}, Pred: []string{"a"}, Confidence: 0.9},
		{Gold: []string{"a"}, Pred: []string{"x"}, Confidence: 0.6},
		{Gold: []string{"b"}, Pred: []string{"x"}, Confidence: 0.6},
		{Gold: []string{"b"}, Pred: []string{"b"}, Confidence: 0.9},
	}
	r := Score("single", []string{"a", "b", "x", "y"}, items, 0)
	var b strings.Builder
	r.WriteSummary(&b, true, "x", "y")
	if f := strings.Fields(b.String()); len(f) != 6 || f[3] != "4" || f[4] != "0.5000" || f[5] != "0.0000" {
		t.Fatalf("summary %q: want 4 lines, x 0.5000, y 0.0000", b.String())
	}
}
