package main

// Issue 23, the hot path (fifth round): the student's sums of every label, the labels past the
// last full group of eight too, in SumSlotRowsInt8AVX2 over padded weights.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "SumSlotRowsInt8AVX2 sums the labels it is asked for (ng), not nl's full groups",
			file:  "classify/internal/vec/simd_amd64.s",
			old:   "MOVQ ng+48(FP), R14  // labels to do",
			new:   "MOVQ DX, R14 // labels to do",
			tests: []string{"classify/internal/vec:TestSumSlotRowsInt8", "classify:TestFittedStudentSIMDExact"},
		},
		{
			name:  "SumSlotRowsInt8AVX2's last pass adds each of its groups' own weights",
			file:  "classify/internal/vec/simd_amd64.s",
			old:   "VPADDD Y12, Y9, Y9",
			new:   "VPADDD Y11, Y9, Y9",
			tests: []string{"classify/internal/vec:TestSumSlotRowsInt8"},
		},
		{
			name:  "a decoded fit state's student weights are padded for the kernel",
			file:  "classify/fitstate.go",
			old:   "f.w = newStudentWeights(nw * f.nl)",
			new:   "f.w = make([]int8, nw*f.nl)",
			tests: []string{"classify:TestFittedStudentSIMDExact"},
		},
	}...)
}
