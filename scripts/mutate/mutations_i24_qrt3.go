package main

func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "real-time reads a described complement's description beside its bar",
			file:  "classify/realtime.go",
			old:   "case described != nil && described[i] >= 0:",
			new:   "case described != nil && described[i] < -1:",
			tests: []string{"./classify:TestComplementReadsItself"},
		},
	}...)
}
