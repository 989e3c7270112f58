package main

// Issue 22, slice C: remote models, the real-time cache, labels and authentication
// throttling.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "the real-time cache is looked up per account",
			file:  "server/realtime.go",
			old:   "s.results.Get(resultKey(acct, canon, t))",
			new:   `s.results.Get(resultKey("", canon, t))`,
			tests: []string{"server:TestCachePerAccount"},
		},
	}...)
}
