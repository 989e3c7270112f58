package main

// Issue 23, eighth round: the corpus fit's scoring (math.Exp eight lanes at a time, the padded
// last terms, the centring's subtraction).
func init() {
	mutations = append(mutations, []mutation{
		{
			name:   "ExpShiftedAVX512 rounds the exponent to nearest, as math.Exp does",
			file:   "classify/internal/vec/exp512_amd64.s",
			old:    "VCVTPD2DQ Z1, Y3",
			new:    "VCVTTPD2DQ Z1, Y3",
			tests:  []string{"classify/internal/vec:TestExpShifted"},
			avx512: true,
		},
		{
			name:   "ExpShiftedAVX512 hands lanes out of its range back to math.Exp",
			file:   "classify/internal/vec/exp512_amd64.s",
			old:    "ORQ BX, AX",
			new:    "ORQ $0, AX",
			tests:  []string{"classify/internal/vec:TestExpShifted"},
			avx512: true,
		},
		{
			name:  "ExpShifted's padded last terms are the input's own",
			file:  "classify/internal/vec/vec.go",
			old:   "copy(out[i:], es[:r])",
			new:   "copy(out[i:], es[1:r+1])",
			tests: []string{"classify/internal/vec:TestExpShifted"},
		},
		{
			name:  "SubAVX2 subtracts b from a",
			file:  "classify/internal/vec/sub_amd64.s",
			old:   "VSUBPS (DX), Y0, Y0",
			new:   "VSUBPS (SI), Y0, Y0",
			tests: []string{"classify/internal/vec:TestSub"},
		},
	}...)
}
