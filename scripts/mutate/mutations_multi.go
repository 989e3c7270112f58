package main

// Issue 24 items 4 and 5: a saved classifier keeps its last batch job's fit, and real-time
// calls naming it answer with it.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a completed job's fit is kept with its saved classifier",
			file:  "batch/runner.go",
			old:   "\tr.keepFit(ctx, job)\n",
			new:   "\n",
			tests: []string{"server:TestSavedClassifierKeepsFit"},
		},
		{
			name:  "real-time calls naming a saved classifier use the fit it keeps",
			file:  "server/realtime.go",
			old:   "m, err := fitter.CompileFitted(spec, state)",
			new:   "m, err := fitter.CompileFitted(spec, nil)",
			tests: []string{"server:TestSavedClassifierKeepsFit"},
		},
		{
			name:  "the result cache keys real-time answers by the fit that gave them",
			file:  "server/realtime.go",
			old:   "canon += \"\\x00fit of \" + fit.job",
			new:   "_ = fit.job",
			tests: []string{"server:TestSavedClassifierKeepsFit"},
		},
	}...)
}
