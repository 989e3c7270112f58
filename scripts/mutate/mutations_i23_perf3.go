package main

// Issue 23, the hot path (third round): the AVX2 / AVX-512 kernels must give the scalar
// code's bits (math.Exp's, the in-order float32 sums').
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "ExpShiftedAVX2 rounds the exponent to nearest, as math.Exp does",
			file:  "classify/internal/vec/simd_amd64.s",
			old:   "VCVTPD2DQY Y1, X3",
			new:   "VCVTTPD2DQY Y1, X3",
			tests: []string{"classify/internal/vec:TestExpShifted"},
		},
		{
			name:  "expSum sums every label's term",
			file:  "classify/fitted.go",
			old:   "part := logit[i:min(i+len(buf), len(logit))]",
			new:   "part := logit[i:min(i+len(buf)-1, len(logit))]",
			tests: []string{"classify:TestExpSum"},
		},
		{
			name:  "SumSlotRowsInt8AVX2 adds each group's own weights",
			file:  "classify/internal/vec/simd_amd64.s",
			old:   "VPADDD Y6, Y2, Y2",
			new:   "VPADDD Y5, Y2, Y2",
			tests: []string{"classify/internal/vec:TestSumSlotRowsInt8"},
		},
		{
			name:   "SumRows96Int8AVX512 multiplies each component by its row's factor",
			file:   "classify/internal/vec/simd_amd64.s",
			old:    "VMULPS Z12, Z15, Z15",
			new:    "VMULPS Z12, Z14, Z15",
			tests:  []string{"classify/internal/vec:TestSumRowsInt8Exact"},
			avx512: true,
		},
		{
			name:   "DotColsAVX512 multiplies each label group by its own prototype columns",
			file:   "classify/internal/vec/simd_amd64.s",
			old:    "VMULPS 128(R12), Z1, Z7",
			new:    "VMULPS 128(R12), Z1, Z8",
			tests:  []string{"classify/internal/vec:TestSIMDKernelsExact"},
			avx512: true,
		},
	}...)
}
