package main

// Issue 23, the hot path (second round): keys' inline word path and the SWAR lowering must
// give what the tokenizer gives.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "keys' inline path leaves a short word followed by an uppercase letter to next",
			file:  "classify/wordvec/embed.go",
			old:   "if c := text[i+n]; !('A' <= c && c <= 'Z') && t.endsWord(i+n) {",
			new:   "if t.endsWord(i + n) {",
			tests: []string{"classify/wordvec:TestTextRowsAgreeWithLookup"},
		},
		{
			name:  "keys' inline path leaves a short word followed by a joining character to next",
			file:  "classify/wordvec/embed.go",
			old:   " && t.endsWord(i+n) {",
			new:   " {",
			tests: []string{"classify/wordvec:TestTextRowsAgreeWithLookup"},
		},
		{
			name:  "the ASCII word path lowers eight bytes at a time",
			file:  "classify/wordvec/tokenize.go",
			old:   "x|upperBytes(x)>>2)",
			new:   "x)",
			tests: []string{"classify/wordvec:TestPlainWordAgreesWithWord"},
		},
	}...)
}
