package main

// Issue 24 item 5, real-time with a fit (i-qrtfit): eval's method check fits on the very lines
// it scores, so that it equals the batch run on them unless real-time computes a line
// differently.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "eval --realtime-fit-same fits on the scored lines, not the other half",
			file:  "eval_cmd.go",
			old:   "drawn || i%2 != fitOn {",
			new:   "drawn || i%2 != 0 {",
			tests: []string{".:TestEvalRealtimeFitSame"},
		},
	}...)
}
