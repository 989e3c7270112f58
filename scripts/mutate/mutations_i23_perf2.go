package main

// Issue 23, the hot path (second round): keys' inline word path and the SWAR lowering must
// give what the tokenizer gives.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "the ASCII word path lowers eight bytes at a time",
			file:  "classify/wordvec/tokenize.go",
			old:   "x|upperBytes(x)>>2)",
			new:   "x)",
			tests: []string{"classify/wordvec:TestPlainWordAgreesWithWord"},
		},
	}...)
}
