package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// normalizeInOrder is Normalize as it was: the sum of squares in order.
func normalizeInOrder(v []float32) bool {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return false
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
	return true
}

func sameBits(a, b []float32) bool {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

// TestNormalizeExact: Normalize gives the in-order sum's result bit for bit, on random vectors
// of every length up to 130 (the model's 96 among them) and on special values, and, with a
// bound so wide that every sum takes the in-order fallback, so does the fallback.
func TestNormalizeExact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-42, -1e-39, math.MaxFloat32, 1e30, float32(math.Inf(1)), float32(math.NaN())}
	for n := range 20000 {
		d := n % 131
		v := make([]float32, d)
		scale := math.Pow(10, float64(r.IntN(20)-10))
		for j := range v {
			if r.IntN(50) == 0 {
				v[j] = special[r.IntN(len(special))]
			} else if r.IntN(3) > 0 {
				v[j] = float32(r.NormFloat64() * scale)
			}
		}
		want := append([]float32(nil), v...)
		wok := normalizeInOrder(want)
		got := append([]float32(nil), v...)
		if ok := Normalize(got); ok != wok || !sameBits(got, want) {
			t.Fatalf("d=%d %v: %v %v, want %v %v", d, v, ok, got, wok, want)
		}
		inv, ok := normalizeScale(v, 1e-3) // wide: the fallback
		if ok != wok || ok && math.Float32bits(inv) != math.Float32bits(float32(1/math.Sqrt(sumInOrder(v)))) {
			t.Fatalf("fallback d=%d %v: %v %v", d, v, inv, ok)
		}
	}
}

func sumInOrder(v []float32) float64 {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	return ss
}

// TestNormalizeNearRoundingBoundary: a vector whose in-order sum of squares and whose
// sum in another order give different float32 scales (its scale lies next to a float32
// rounding boundary: big terms that put the in-order sum just below it, and many terms each
// under half an ulp of it, lost one by one in order but not when summed apart). Normalize
// must still give the in-order result.
func TestNormalizeNearRoundingBoundary(t *testing.T) {
	if !UseAVX2 {
		t.Skip("no AVX2: Normalize sums in order")
	}
	for a := float32(0.75); a < 0.76; a = math.Nextafter32(a, 1) {
		m := (float64(a) + float64(math.Nextafter32(a, 1))) / 2 // the float32 rounding boundary
		target := 1 / (m * m)
		target -= 4 * (math.Nextafter(target, 2) - target) // the in-order sum lands a few ulps below
		v := make([]float32, 96)
		rest := target
		for j := range 3 {
			v[j] = float32(math.Sqrt(rest))
			rest -= float64(v[j]) * float64(v[j])
			if rest <= 0 {
				break
			}
		}
		ulp := math.Nextafter(target, 2) - target
		tiny := float32(math.Sqrt(0.4 * ulp))
		for j := 3; j < 96; j++ {
			v[j] = tiny
		}
		inOrder := float32(1 / math.Sqrt(sumInOrder(v)))
		apart := float32(1 / math.Sqrt(SumSquaresAVX2(&v[0], 96)))
		if inOrder == apart {
			continue
		}
		want := append([]float32(nil), v...)
		normalizeInOrder(want)
		if !Normalize(v) || !sameBits(v, want) {
			t.Fatalf("near the boundary at %v: %v, want %v", a, v[:3], want[:3])
		}
		return
	}
	t.Fatal("no vector near a rounding boundary found")
}
