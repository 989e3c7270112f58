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
	}...)
}
