package main

// Issue 24, single-label: labels no line is about are taken out by the fit (absentLabels).
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "an absent label gets the offset that keeps it from being chosen",
			file:  "classify/fit.go",
			old:   "bias[l] = fitAbsentBias",
			new:   "bias[l] = 0",
			tests: []string{"classify:TestPreviewAbsentLabel", "server:TestPreviewAbsentLabelHTTP"},
		},
		{
			name:  "a label some sample texts name is not absent",
			file:  "classify/fit.go",
			old:   "if len(own) == 0 || slices.ContainsFunc(rs, named) {",
			new:   "if len(own) == 0 || named(fitRow{}) {",
			tests: []string{"classify:TestPreviewAbsentLabel"},
		},
		{
			name:  "a label that reads like the corpus is not absent",
			file:  "classify/fit.go",
			old:   "if catchAll[l] || protos[l] == nil || cos[l] >= fitAbsentRatio*(sum-cos[l])/float64(n-1) {",
			new:   "if catchAll[l] || protos[l] == nil {",
			tests: []string{"classify:TestPreviewAbsentLabel"},
		},
		{
			name:  "a small sample shows no label absent",
			file:  "classify/fit.go",
			old:   "if !multi && nSample >= fitAbsentSample {",
			new:   "if !multi && nSample > 0 {",
			tests: []string{"classify:TestFitNamesReadingRaisesConfidenceOnly"},
		},
	}...)
}
