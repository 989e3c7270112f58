package classify

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpSum: the confidence's sum of exponentials is the in-order sum of math.Exp's terms to
// the bit, at label counts around the kernel's four lanes and expSum's 32-term blocks.
func TestExpSum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 3, 4, 5, 31, 32, 33, 50, 64, 65, 200} {
		for range 200 {
			logit := make([]float64, n)
			for l := range logit {
				logit[l] = r.NormFloat64() * 4
			}
			m, temp := logit[argmax(logit)], 0.05+r.Float64()*2
			var want float64
			for _, x := range logit {
				want += math.Exp(temp * (x - m))
			}
			if got := expSum(logit, m, temp); math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%d labels: expSum = %v, in-order math.Exp sum %v", n, got, want)
			}
		}
	}
}
