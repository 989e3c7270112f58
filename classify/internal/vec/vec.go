// Package vec holds the vector arithmetic that the word-vector provider (classify/wordvec)
// and the decision layer (classify) share: the AVX2 kernels and the scalar helpers whose
// float32 rounding every result depends on. Both sides must round alike, so there is one copy.
package vec

import "math"

// Axpy computes y += a*x.
func Axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += float32(a * x[i])
	}
}

// Normalize scales v to unit length and reports whether v was non-zero.
func Normalize(v []float32) bool {
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
