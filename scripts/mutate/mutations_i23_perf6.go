package main

// Issue 23, the hot path (sixth round): blockKeys, the boundaries of a whole text found at once.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "an abbreviation's final dot (\"u.s.\") is no boundary of its own",
			file:  "classify/wordvec/blocktok.go",
			old:   "prevHi, prev2Dot := c.hi<<1|pr.hi>>63, c.dot<<2|pr.dot>>62",
			new:   "prevHi, prev2Dot := c.hi<<1|pr.hi>>63, c.dot<<1|pr.dot>>63",
			tests: []string{"classify/wordvec:TestBlockKeysBoundaries", "classify/wordvec:TestBlockKeysAgree"},
		},
		{
			name:  "a run of dashes (\"--\") is one segment",
			file:  "classify/wordvec/blocktok.go",
			old:   "prevDash, nextDash := c.dash<<1|pr.dash>>63",
			new:   "prevDash, nextDash := c.dash>>1|nx.dash<<63",
			tests: []string{"classify/wordvec:TestBlockKeysBoundaries", "classify/wordvec:TestBlockKeysAgree"},
		},
		{
			name:  "',' ':' '/' join only digits inside a plain word",
			file:  "classify/wordvec/blocktok.go",
			old:   "c.ccs&prevDigit&nextDigit",
			new:   "c.ccs&prevDigit&nextDigit|c.ccs&prevWord&nextWord",
			tests: []string{"classify/wordvec:TestBlockKeysBoundaries", "classify/wordvec:TestBlockKeysAgree"},
		},
		{
			name:  "a segment with a byte other than a letter, digit or inner joiner goes to next",
			file:  "classify/wordvec/blocktok.go",
			old:   "if cbits != 0 && cw*64+bits.TrailingZeros64(cbits) < e {",
			new:   "if cbits != 0 && cw*64+bits.TrailingZeros64(cbits) < e-1 {",
			tests: []string{"classify/wordvec:TestBlockKeysAgree"},
		},
	}...)
}
