package main

// Issue 23, the provider split: the decision layer reads a word-vector model through
// classify.WordVectors; a static model's student reads the built-in model's words.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a static model's student reads the built-in model's words, not its own token rows",
			file:  "classify/words.go",
			old:   "if b.words == b.w {",
			new:   "if b.words != nil {",
			tests: []string{"./classify:TestStaticStudentReadsBuiltinWords"},
		},
		{
			name:  "preview keywords skip the commonest words (SIF weight under one half)",
			file:  "classify/preview.go",
			old:   "factor < scale/2 {",
			new:   "factor < 0*scale {",
			tests: []string{"./classify:TestPreviewKeywordsSkipCommonWords"},
		},
	}...)
}
