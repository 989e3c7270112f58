package main

// Issue 24 item 5, real-time with a fit (i-qrtfit): eval's method check fits on the very lines
// it scores, so that it equals the batch run on them unless real-time computes a line
// differently; a saved classifier's fit serves calls whatever text_type its job had.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "eval --realtime-fit-same fits on the scored lines, not the other half",
			file:  "eval_cmd.go",
			old:   "drawn || i%2 != fitOn {",
			new:   "drawn || i%2 != 0 {",
			tests: []string{".:TestEvalRealtimeFitSame"},
		},
		{
			name:  "a saved classifier's fit serves real-time calls without the text_type its job was given",
			file:  "batch/job.go",
			old:   "\tspec.TextType = \"\"\n",
			new:   "\n",
			tests: []string{"server:TestSavedClassifierFitAnyTextType"},
		},
	}...)
}
