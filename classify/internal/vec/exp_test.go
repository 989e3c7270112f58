package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpShifted checks ExpShifted against math.Exp to the bit: the decision layer's
// confidences are sums of these, and results must not move by one ulp.
func TestExpShifted(t *testing.T) {
	for _, wide := range []bool{true, false} {
		if wide && !UseExpAVX512 {
			continue
		}
		t.Run(fmt.Sprintf("avx512=%v", wide), func(t *testing.T) {
			defer func(old bool) { UseExpAVX512 = old }(UseExpAVX512)
			UseExpAVX512 = wide
			testExpShifted(t)
		})
	}
}

func testExpShifted(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	check := func(x []float64, m, temp float64) {
		t.Helper()
		got := make([]float64, len(x))
		ExpShifted(got, x, m, temp)
		for i := range x {
			want := math.Exp(temp * (x[i] - m))
			if math.Float64bits(got[i]) != math.Float64bits(want) && !(math.IsNaN(got[i]) && math.IsNaN(want)) {
				t.Fatalf("exp(%v*(%v-%v)) = %v (%#x), math.Exp gives %v (%#x)", temp, x[i], m, got[i],
					math.Float64bits(got[i]), want, math.Float64bits(want))
			}
		}
	}
	for range 20000 {
		n := 1 + r.IntN(60)
		x := make([]float64, n)
		scale := math.Pow(10, float64(r.IntN(7)-3))
		for i := range x {
			x[i] = (r.Float64()*2 - 1) * scale
		}
		check(x, x[r.IntN(n)], r.Float64()*3)
	}
	// Where math.Exp's special cases start (overflow, denormal results, infinities, NaN):
	// the kernel must hand those back to math.Exp.
	for _, y := range []float64{-745.2, -745, -709, -708.4, -700.0001, -700, 700, 700.0001, 709.7, 710,
		math.Inf(-1), math.Inf(1), math.NaN(), 0, math.Copysign(0, -1), 1e-300, -1e-300} {
		check([]float64{0, 1, y, -1, 0.5}, 0, 1)
		check([]float64{y, y, y, y}, 0, 1)
		// and in the padded last lanes (ExpShifted's tail of one to three terms)
		check([]float64{y}, 0, 1)
		check([]float64{0, 1, 0.5, -1, 2, y}, 0, 1)
		check([]float64{0, 1, 0.5, -1, y, -2, 3}, 0, 1)
	}
	if UseExpAVX2 {
		x := []float64{-3, -2, -1, 0, 1, 2, 3, 4}
		if !ExpShiftedAVX2(&make([]float64, 4)[0], &x[0], 0, 1, 4) {
			t.Fatal("ExpShiftedAVX2 refused inputs inside its range")
		}
		if UseExpAVX512 && !ExpShiftedAVX512(&make([]float64, 8)[0], &x[0], 0, 1, 8) {
			t.Fatal("ExpShiftedAVX512 refused inputs inside its range")
		}
	}
}

func BenchmarkExpShifted(b *testing.B) {
	x := make([]float64, 50)
	for i := range x {
		x[i] = float64(i%7) - 3.5
	}
	out := make([]float64, 50)
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			ExpShifted(out, x, 2, 1.3)
		}
	})
	b.Run("math.Exp", func(b *testing.B) {
		for b.Loop() {
			for i, v := range x {
				out[i] = math.Exp(1.3 * (v - 2))
			}
		}
	})
}

func BenchmarkExpShiftedLanes(b *testing.B) {
	x := make([]float64, 50)
	for i := range x {
		x[i] = float64(i%7) - 3.5
	}
	out := make([]float64, 50)
	for _, wide := range []bool{false, true} {
		b.Run(fmt.Sprintf("avx512=%v", wide), func(b *testing.B) {
			defer func(old bool) { UseExpAVX512 = old }(UseExpAVX512)
			UseExpAVX512 = wide && UseExpAVX512
			for b.Loop() {
				ExpShifted(out[:32], x[:32], 2, 1.3)
				ExpShifted(out[32:], x[32:], 2, 1.3)
			}
		})
	}
}
