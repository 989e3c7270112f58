package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSIMDKernelsExact: the AVX2 kernels give the scalar loops' results bit for bit.
func TestSIMDKernelsExact(t *testing.T) {
	if !UseAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(1, 2))
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-42, -1e-39, math.MaxFloat32, 1e30}
	val := func() float32 {
		if r.IntN(10) == 0 {
			return special[r.IntN(len(special))]
		}
		return float32(r.NormFloat64())
	}
	for n := 0; n < 300; n++ {
		d := 1 + r.IntN(130)
		v := make([]float32, d)
		q := make([]int8, d)
		for j := range v {
			v[j], q[j] = val(), int8(r.IntN(256)-128)
		}
		f := val()
		want := append([]float32(nil), v...)
		for j := range want {
			want[j] += float32(f * float32(q[j]))
		}
		m := d &^ 7
		if m > 0 {
			AxpyInt8AVX2(&v[0], &q[0], f, m)
		}
		for j := m; j < d; j++ {
			v[j] += float32(f * float32(q[j]))
		}
		for j := range v {
			if math.Float32bits(v[j]) != math.Float32bits(want[j]) && !(v[j] != v[j] && want[j] != want[j]) {
				t.Fatalf("axpy d=%d j=%d: %v, want %v", d, j, v[j], want[j])
			}
		}
		nl := 1 + r.IntN(70)
		stride := (nl + 7) &^ 7
		p := make([]float32, nl*d)
		pt := make([]float32, stride*d)
		for l := range nl {
			for j := range d {
				p[l*d+j] = val()
				pt[j*stride+l] = p[l*d+j]
			}
		}
		out := make([]float32, stride)
		DotColsAVX2(&v[0], &pt[0], d, stride, &out[0])
		checkDots(t, v, p, nl, out)
		if UseAVX512 {
			// The AVX-512 kernel's stride is a multiple of 16.
			stride := (nl + 15) &^ 15
			pt := make([]float32, stride*d)
			for l := range nl {
				for j := range d {
					pt[j*stride+l] = p[l*d+j]
				}
			}
			out := make([]float32, stride)
			DotColsAVX512(&v[0], &pt[0], d, stride, &out[0])
			checkDots(t, v, p, nl, out)
		}
	}
}

// checkDots checks out[l], l < nl, against the scalar dot product of v with row l of p.
func checkDots(t *testing.T, v, p []float32, nl int, out []float32) {
	t.Helper()
	d := len(v)
	for l := range nl {
		var s float32
		for j := range d {
			s += float32(v[j] * p[l*d+j])
		}
		if math.Float32bits(s) != math.Float32bits(out[l]) && !(s != s && out[l] != out[l]) {
			t.Fatalf("dot d=%d nl=%d l=%d: %v, want %v", d, nl, l, out[l], s)
		}
	}
}

// TestSumRowsInt8Exact: SumRowsInt8 gives the scalar row-by-row sum bit for bit, with the
// AVX-512 kernel where there is one and with the AVX2 kernel.
func TestSumRowsInt8Exact(t *testing.T) {
	if UseAVX512 {
		defer func(old bool) { UseAVX512 = old }(UseAVX512)
		testSumRowsInt8Exact(t)
		UseAVX512 = false
	}
	testSumRowsInt8Exact(t)
}

func testSumRowsInt8Exact(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		d := 1 + r.IntN(300)
		stride := d + r.IntN(3)
		nrows := 1 + r.IntN(50)
		q := make([]int8, nrows*stride)
		for i := range q {
			q[i] = int8(r.IntN(256) - 128)
		}
		rows := make([]int32, r.IntN(40))
		f := make([]float32, len(rows))
		for i := range rows {
			rows[i] = int32(r.IntN(nrows))
			f[i] = float32(r.NormFloat64())
			if r.IntN(10) == 0 {
				f[i] = float32(math.Copysign(0, -1))
			}
		}
		v := make([]float32, d)
		want := make([]float32, d)
		for i := range v {
			v[i] = float32(r.NormFloat64())
			want[i] = v[i]
		}
		for i, row := range rows {
			for j := range want {
				want[j] += float32(f[i] * float32(q[int(row)*stride+j]))
			}
		}
		SumRowsInt8(v, q, stride, rows, f)
		for j := range v {
			if math.Float32bits(v[j]) != math.Float32bits(want[j]) {
				t.Fatalf("d=%d rows=%d j=%d: %v, want %v", d, len(rows), j, v[j], want[j])
			}
		}
	}
}
