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

// SumRowsInt8 adds f[i] times row rows[i] of q (rows stride apart; their first len(v)
// components) to v, for each i in order: the sum a text's word vectors make. The AVX2
// kernel keeps 96 components of v in registers across all the rows; every component gets
// the same float32 multiply, then add, in the same row order as the scalar loop.
func SumRowsInt8(v []float32, q []int8, stride int, rows []int32, f []float32) {
	f = f[:len(rows)]
	j := 0
	if UseAVX2 && len(rows) > 0 {
		for ; j+96 <= len(v); j += 96 {
			SumRows96Int8AVX2(&v[j], &q[j], stride, &rows[0], &f[0], len(rows))
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
