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

// Normalize scales v to unit length and reports whether v was non-zero. The scale is
// float32(1/√ss), ss the sum of float64(v[j])² in order, j = 0, 1, …: every result depends on
// its rounding. That in-order sum is a chain of len(v) dependent additions; Normalize sums in
// another order instead, with independent accumulators, and uses that sum only where it
// provably gives the same scale (normalizeScale).
func Normalize(v []float32) bool {
	inv, ok := normalizeScale(v, orderBound)
	if !ok {
		return false
	}
	j := 0
	if UseAVX2 {
		j = len(v) &^ 7
		if j > 0 {
			ScaleAVX2(&v[0], inv, j)
		}
	}
	for ; j < len(v); j++ {
		v[j] *= inv
	}
	return true
}

// orderBound, times len(v), bounds the relative difference between two sums of the same
// len(v) non-negative float64 terms added in different orders: each is within
// (len(v)-1)·2⁻⁵³/(1-(len(v)-1)·2⁻⁵³) of the exact sum (Higham, Accuracy and Stability of
// Numerical Algorithms, §4.2); 4·2⁻⁵³ per term covers both with room for the roundings of
// the bounds themselves.
const orderBound = 4 * 0x1p-53

// normalizeScale returns float32(1/√ss) for ss the in-order sum of squares of v, and false if
// ss is 0. It sums in any order (ss'), then takes the scale of ss'·(1+d) and of ss'·(1-d),
// d = bound·len(v): the in-order ss lies between them, and 1/√x and the rounding to float32
// are monotonic, so where the two agree the in-order scale is theirs. Where they do not (a
// scale within about 1e-14 of a float32 rounding boundary: about one text in a million), it
// sums in order.
func normalizeScale(v []float32, bound float64) (float32, bool) {
	var ss float64
	j := 0
	if UseAVX2 {
		j = len(v) &^ 15
		if j > 0 {
			ss = SumSquaresAVX2(&v[0], j)
		}
	}
	for ; j < len(v); j++ {
		ss += float64(v[j]) * float64(v[j])
	}
	if ss == 0 { // all terms are zero in any order (a float32 squared never underflows a float64)
		return 0, false
	}
	d := bound * float64(len(v))
	if inv := float32(1 / math.Sqrt(ss*(1+d))); inv == float32(1/math.Sqrt(ss*(1-d))) {
		return inv, true
	}
	ss = 0
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	return float32(1 / math.Sqrt(ss)), true
}

// SumRowsInt8 adds f[i] times row rows[i] of q (rows stride apart; their first len(v)
// components) to v, for each i in order: the sum a text's word vectors make. The AVX2
// kernel (AVX-512 where there is one) keeps 96 components of v in registers across all the
// rows; every component gets the same float32 multiply, then add, in the same row order as
// the scalar loop.
func SumRowsInt8(v []float32, q []int8, stride int, rows []int32, f []float32) {
	f = f[:len(rows)]
	j := 0
	if UseAVX2 && len(rows) > 0 {
		for ; j+96 <= len(v); j += 96 {
			if UseAVX512 {
				SumRows96Int8AVX512(&v[j], &q[j], stride, &rows[0], &f[0], len(rows))
			} else {
				SumRows96Int8AVX2(&v[j], &q[j], stride, &rows[0], &f[0], len(rows))
			}
		}
	}
	if j == len(v) {
		return
	}
	for i, r := range rows {
		row := q[int(r)*stride : int(r)*stride+len(v)]
		k := j
		if UseAVX2 && len(v)-k >= 8 {
			m := (len(v) - k) &^ 7
			AxpyInt8AVX2(&v[k], &row[k], f[i], m)
			k += m
		}
		for ; k < len(v); k++ {
			v[k] += float32(f[i] * float32(row[k]))
		}
	}
}

// ExpShifted sets out[i] = math.Exp(t*(x[i]-m)) for i < len(x), to the bit: eight or four at
// a time with AVX-512 or AVX2 where that gives math.Exp's own answer (ExpShiftedAVX512,
// ExpShiftedAVX2), else one by one.
func ExpShifted(out, x []float64, m, t float64) {
	out = out[:len(x)]
	lanes := 0
	switch {
	case UseExpAVX512:
		lanes = 8
	case UseExpAVX2:
		lanes = 4
	}
	i := 0
	if lanes > 0 && len(x) >= lanes && expKernel(&out[0], &x[0], m, t, len(x), lanes) {
		i = len(x) &^ (lanes - 1)
	}
	if r := len(x) - i; r > 0 && r < lanes {
		// The last terms (all of them at 3 labels) take the kernel's lanes too, padded with m:
		// one math.Exp costs about what the kernel's lanes do.
		xs := [8]float64{m, m, m, m, m, m, m, m}
		var es [8]float64
		copy(xs[:], x[i:])
		if expKernel(&es[0], &xs[0], m, t, lanes, lanes) {
			copy(out[i:], es[:r])
			return
		}
	}
	for ; i < len(x); i++ {
		out[i] = math.Exp(t * (x[i] - m))
	}
}

// expKernel is ExpShiftedAVX512 (lanes 8) or ExpShiftedAVX2 (lanes 4).
func expKernel(out, x *float64, m, t float64, n, lanes int) bool {
	if lanes == 8 {
		return ExpShiftedAVX512(out, x, m, t, n)
	}
	return ExpShiftedAVX2(out, x, m, t, n)
}
