package main

// Issue 25's scaling benchmark: its model server must be latency-bound, or the table
// measures this machine's CPU instead of the workers' scaling.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "slowembed: every embeddings request waits the fixed delay before it is answered",
			file:  "bench/slowembed/main.go",
			old:   "case <-t.C:",
			new:   "default:",
			tests: []string{"bench/slowembed:TestSlowEmbeddings"},
		},
	}...)
}
