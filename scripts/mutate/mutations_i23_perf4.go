package main

// Issue 23, the hot path (fourth round): the word table's look-up by a long word's last 8
// bytes must stay exact when another word shares its tag, first 8 bytes and slot.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "the word table compares a word of 9 to 16 bytes by its last 8 bytes",
			file:  "classify/wordvec/model.go",
			old:   "len(w) <= 16 && t.last[r] == lastBytes(w)",
			new:   "len(w) <= 16",
			tests: []string{"classify/wordvec:TestWordTableCollisions"},
		},
	}...)
}
