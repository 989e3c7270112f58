package main

// Issue 23, the hot path: the fast paths must give what the general ones give.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "the pprof endpoint listens on loopback addresses only",
			file:  "pprof.go",
			old:   "(ip == nil || !ip.IsLoopback())",
			new:   "(ip == nil)",
			tests: []string{".:TestPprofAddrLoopbackOnly"},
		},
		{
			name:  "the ASCII word path lowers a word with an uppercase letter in its first eight bytes",
			file:  "classify/wordvec/tokenize.go",
			old:   "upper |= up & (1<<k - 1)",
			new:   "upper |= 0",
			tests: []string{"classify/wordvec:TestPlainWordAgreesWithWord"},
		},
		{
			name:  "the fast word paths leave '-', '.', ',', ':', '/' and ' before a word character to the full rules",
			file:  "classify/wordvec/tokenize.go",
			old:   "return j+1 >= len(s) || s[j+1] < utf8.RuneSelf && !isWordRune(rune(s[j+1]))",
			new:   "return true",
			tests: []string{"classify/wordvec:TestPlainWordAgreesWithWord"},
		},
		{
			name:  "the lowering word path lowers uppercase letters",
			file:  "classify/wordvec/tokenize.go",
			old:   "buf[k] = c + ('a' - 'A')",
			new:   "buf[k] = c",
			tests: []string{"classify/wordvec:TestPlainWordAgreesWithWord"},
		},
		{
			name:  "a clitic the vocabulary lacks counts as its word on the phased look-up path",
			file:  "classify/wordvec/embed.go",
			old:   "return b.alias(w[:n])",
			new:   "return b.alias(w[n:])",
			tests: []string{"classify/wordvec:TestCliticRows"},
		},
		{
			name:  "wordKey's second 4-byte read of a 4-7 byte word lands on the word's last bytes",
			file:  "classify/wordvec/model.go",
			old:   "uint64(binary.LittleEndian.Uint32(w[n-4:]))<<(8*(n-4))",
			new:   "uint64(binary.LittleEndian.Uint32(w[n-4:]))<<(8*(n-3))",
			tests: []string{"classify/wordvec:TestWordKeyReads"},
		},
		{
			name:  "SumRowsInt8 adds the components past the AVX2 kernel's once",
			file:  "classify/internal/vec/vec.go",
			old:   "\t\tk := j\n",
			new:   "\t\tk := 0\n",
			tests: []string{"classify/internal/vec:TestSumRowsInt8Exact"},
		},
	}...)
}
