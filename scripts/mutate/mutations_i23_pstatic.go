package main

// Issue 23, the static provider's tokenizer: the hashed WordPiece and BERT's pipeline in
// one pass give exactly the token ids of the general algorithm (the test's reference).
func init() {
	same := []string{"./classify/wordvec:TestWordPieceSameIDs"}
	mutations = append(mutations, []mutation{
		{
			name:  "the ASCII path ends words only where BERT's pipeline does (\\v is a control character, dropped)",
			file:  "classify/wordvec/wordpiece.go",
			old:   `[]byte{'\t', '\n', '\r'}`,
			new:   `[]byte{'\t', '\n', '\r', '\v'}`,
			tests: same,
		},
		{
			name:  "pieces inside a word are looked up among the continuation pieces",
			file:  "classify/wordvec/wordpiece.go",
			old:   "t = w.cont",
			new:   "t = w.vocab",
			tests: same,
		},
		{
			name:  "a piece as long as the longest in the vocabulary is looked up",
			file:  "classify/wordvec/wordpiece.go",
			old:   "pos+t.maxLen)",
			new:   "pos+t.maxLen-1)",
			tests: same,
		},
		{
			name:  "the ASCII path lowers upper-case letters",
			file:  "classify/wordvec/wordpiece.go",
			old:   "c += 'a' - 'A'",
			new:   "c += 0",
			tests: same,
		},
		{
			name:  "rune-by-rune accent stripping hands back a word whose kept combining marks NFD would reorder",
			file:  "classify/wordvec/wordpiece.go",
			old:   "norm.NFD.Properties(b).CCC() != 0:",
			new:   "false:",
			tests: same,
		},
	}...)
}
