package batch

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/classer-ai/classer-batch/classify"
)

// TestAppendConfidence: appendConfidence writes what strconv.AppendFloat writes. Its
// fast path takes exactly the values k/10⁴ for k in 1..10000, so checking every k
// covers all of it; the rest are values it must hand to AppendFloat.
func TestAppendConfidence(t *testing.T) {
	check := func(c float64) {
		t.Helper()
		want := strconv.AppendFloat([]byte("x"), c, 'f', -1, 64)
		if got := appendConfidence([]byte("x"), c); string(got) != string(want) {
			t.Fatalf("appendConfidence(%v) = %q, AppendFloat gives %q", c, got, want)
		}
	}
	for k := range 10001 {
		c := float64(k) / 1e4
		check(c)
		check(classify.Round4(c))
		check(math.Nextafter(c, 2)) // one ulp off: not a 4-decimal value
		check(math.Nextafter(c, -1))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		x := rng.Float64()
		check(x)
		check(classify.Round4(x))
		check(classify.Round4(x * 3)) // above 1
	}
	for _, c := range []float64{0, math.Copysign(0, -1), -0.5, -1, 1.0001, 2, 1e-5, 5e-5, math.NaN(), math.Inf(1), math.Inf(-1)} {
		check(c)
	}
}
