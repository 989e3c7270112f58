package main

// Issue 23, seventh round: the result encoder's fast path for 4-decimal confidences.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a confidence takes the fast path only when it is exactly k/10^4",
			file:  "batch/record.go",
			old:   "if k := math.Round(c * 1e4); k/1e4 == c {",
			new:   "if k := math.Round(c * 1e4); true {",
			tests: []string{"batch:TestAppendConfidence"},
		},
		{
			name:  "a fast-path confidence drops its trailing zeros, as AppendFloat does",
			file:  "batch/record.go",
			old:   "for d[end-1] == '0' {",
			new:   "for false && d[end-1] == '0' {",
			tests: []string{"batch:TestAppendConfidence"},
		},
	}...)
}
