package main

// Issue 23, the hot path (second round): keys' inline word path and the SWAR lowering must
// give what the tokenizer gives.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "keys' inline path lowers a short word's uppercase letters",
			file:  "classify/wordvec/embed.go",
			old:   "key := (x | (up&mask)>>2) & mask",
			new:   "key := x & mask",
			tests: []string{"classify/wordvec:TestTextRowsAgreeWithLookup"},
		},
		{
			name:  "keys' inline path leaves a short word followed by a joining character to next",
			file:  "classify/wordvec/embed.go",
			old:   "if t.endsWord(i + n) {",
			new:   "if true {",
			tests: []string{"classify/wordvec:TestTextRowsAgreeWithLookup"},
		},
		{
			name:  "the ASCII word path lowers eight bytes at a time",
			file:  "classify/wordvec/tokenize.go",
			old:   "x|upperBytes(x)>>2)",
			new:   "x)",
			tests: []string{"classify/wordvec:TestPlainWordAgreesWithWord"},
		},
		{
			name:  "keys' inline path leaves a run of dots or hyphens to next",
			file:  "classify/wordvec/embed.go",
			old:   "(c != '.' && c != '-' || i+1 == len(text) || text[i+1] != c)",
			new:   "true",
			tests: []string{"classify/wordvec:TestTextRowsAgreeWithLookup"},
		},
		{
			name:  "Normalize uses its reordered sum of squares only where the bound proves the in-order scale",
			file:  "classify/internal/vec/vec.go",
			old:   "d := bound * float64(len(v))",
			new:   "d := 0 * bound",
			tests: []string{"classify/internal/vec:TestNormalizeNearRoundingBoundary"},
		},
	}...)
}
