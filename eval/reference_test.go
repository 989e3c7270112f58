package eval

import (
	"math"
	"testing"
)

// fakeVectors is a tiny word-vector model: word -> (vector, rank).
type fakeVectors map[string]struct {
	v    []float32
	rank int
}

func (f fakeVectors) WordVector(w string) ([]float32, int, bool) {
	e, ok := f[w]
	return e.v, e.rank, ok
}

// TestRefVector checks the reference's text vector against its definition: maximal runs of
// [a-z0-9] after ASCII lower-casing, unknown tokens skipped, each word weighted by
// a/(a+p(w)) from its rank, the sum normalised, only the first 5,000 characters.
func TestRefVector(t *testing.T) {
	wv := fakeVectors{
		"don": {[]float32{1, 0}, 0},
		"t":   {[]float32{0, 1}, 999},
		"x2":  {[]float32{0, 1}, 5},
	}
	h := math.Log(341479) + 0.5772
	w := func(rank int) float64 { p := 1 / (float64(rank+1) * h); return 1e-3 / (1e-3 + p) }
	v := refVector(wv, "DON'T ünknown-X2!")
	want := []float64{w(0), w(999) + w(5)}
	n := math.Hypot(want[0], want[1])
	if math.Abs(v[0]-want[0]/n) > 1e-12 || math.Abs(v[1]-want[1]/n) > 1e-12 {
		t.Fatalf("refVector = %v, want %v", v, []float64{want[0] / n, want[1] / n})
	}
	if refVector(wv, "nothing known here") != nil {
		t.Fatal("a text with no known token should have no vector")
	}
	long := make([]byte, 0, 5010)
	for len(long) < 5000 {
		long = append(long, ' ')
	}
	long = append(long, " don"...)
	if refVector(wv, string(long)) != nil {
		t.Fatal("a word after the first 5,000 characters was counted")
	}
}

// centredVectors: every text shares a large common direction ("common") that the label
// "alpha" also points along.
var (
	centredVectors = fakeVectors{
		"common": {[]float32{10, 0, 0}, 50000},
		"alpha":  {[]float32{5, 1, 0}, 50000},
		"beta":   {[]float32{0, 0, 1}, 50000},
		"a":      {[]float32{0, 1, 0}, 50000},
		"b":      {[]float32{0, 0, 1}, 50000},
	}
	centredTexts = []string{"common a", "common b", "common a", "common b"}
)

// TestReferenceCentres: every text shares a large common direction that the label "alpha"
// also points along; plain cosine would give alpha to every text, the centred reference
// gives each text the label of what sets it apart.
func TestReferenceCentres(t *testing.T) {
	wv, texts := centredVectors, centredTexts
	got := Reference(wv, []string{"alpha", "beta"}, nil, texts)
	want := []int{0, 1, 0, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Reference = %v, want %v", got, want)
		}
	}
	// A description joins the prototype's text ("zzz: b"): an unknown label name gets its
	// direction from it.
	got = Reference(wv, []string{"alpha", "zzz"}, map[string]string{"zzz": "b"}, texts)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("with a description: Reference = %v, want %v", got, want)
		}
	}
}

// TestScoreReference: the reference's answers scored against the golds, in single mode.
func TestScoreReference(t *testing.T) {
	wv, texts := centredVectors, centredTexts
	gold := [][]string{{"alpha"}, {"beta"}, {"beta"}, {"beta"}} // the reference answers alpha, beta, alpha, beta
	r := ScoreReference(wv, []string{"alpha", "beta"}, nil, texts, gold)
	if r.Mode != "single" || r.N != 4 || r.Failed != 0 || r.Accuracy != 0.75 {
		t.Fatalf("%+v", r)
	}
	if len(r.Confusions) != 1 || r.Confusions[0] != (Confusion{"beta", "alpha", 1}) {
		t.Fatalf("confusions %+v", r.Confusions)
	}
}
