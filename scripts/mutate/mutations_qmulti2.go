package main

// Issue 24 item 4, second round: an exhaustive multi-label fit calibrates each label on its
// logit less the text's mean logit, and answers the same way.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "an exhaustive multi-label fit is calibrated on line-centred logits",
			file:  "classify/fit.go",
			old:   "f.lineCentred = true",
			new:   "return",
			tests: []string{"classify:TestMultiFitLineCentred"},
		},
		{
			name:  "a line-centred fit never keeps the fixed sigmoid",
			file:  "classify/fit.go",
			old:   "f.calib[l] = fitMixture(col[l])",
			new:   "f.calib[l] = calibrateLabel(col[l])",
			tests: []string{"classify:TestMultiFitLineCentred"},
		},
		{
			name:  "a line-centred fit answers on line-centred logits",
			file:  "classify/fitted.go",
			old:   "shift = lineMean(logit)",
			new:   "shift = 0",
			tests: []string{"classify:TestMultiFitLineCentred"},
		},
		{
			name:  "the fit state keeps the line-centred flag",
			file:  "classify/fitstate.go",
			old:   "f.lineCentred = flags&128 != 0",
			new:   "f.lineCentred = false",
			tests: []string{"classify:TestMultiFitLineCentred"},
		},
	}...)
}
