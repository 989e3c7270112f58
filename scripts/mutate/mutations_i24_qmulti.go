package main

// Issue 24 item 4: a multi-label fit whose labels cover its corpus conditions each text's
// confidences on its having at least one label (the /v1/tag entry moved to mutations_qtag.go
// with the rule it guarded).
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "an exhaustive multi-label fit conditions confidences on at least one label",
			file:  "classify/fitted.go",
			old:   "if f.exhaustive {",
			new:   "if false {",
			tests: []string{"classify:TestMultiFitExhaustive"},
		},
		{
			name:  "only a fit whose labels cover the sample is exhaustive",
			file:  "classify/multicalib.go",
			old:   "return sum >= multiExhaustiveLabels*float64(len(col[0]))",
			new:   "return true",
			tests: []string{"classify:TestMultiFitExhaustive"},
		},
		{
			name:  "the fit state keeps the exhaustive flag",
			file:  "classify/fitstate.go",
			old:   "f.exhaustive = flags&32 != 0",
			new:   "f.exhaustive = false",
			tests: []string{"classify:TestMultiFitExhaustive"},
		},
	}...)
}
