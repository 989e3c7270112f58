package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSub: Sub's AVX2 lanes give the scalar subtraction's float32s, at lengths around the
// eight lanes, including the special values.
func TestSub(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32}
	for n := 0; n <= 40; n++ {
		for range 50 {
			a, b := make([]float32, n), make([]float32, n)
			for j := range a {
				a[j], b[j] = float32(r.NormFloat64()), float32(r.NormFloat64())
				if r.IntN(8) == 0 {
					a[j] = special[r.IntN(len(special))]
				}
				if r.IntN(8) == 0 {
					b[j] = special[r.IntN(len(special))]
				}
			}
			got := make([]float32, n)
			Sub(got, a, b)
			for j := range got {
				if want := a[j] - b[j]; math.Float32bits(got[j]) != math.Float32bits(want) {
					t.Fatalf("n=%d: %v - %v = %v, want %v", n, a[j], b[j], got[j], want)
				}
			}
		}
	}
}
