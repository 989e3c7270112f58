package main

// Issue 24 items 4 and 5: multi-label fits calibrate each label; a saved classifier keeps its
// last batch job's fit, and real-time calls naming it answer with it.
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
			name:  "a multi-label fit calibrates each label on the sample",
			file:  "classify/fit.go",
			old:   "if multi && nSample >= multiCalibMinTexts {",
			new:   "if false {",
			tests: []string{"classify:TestMultiFitCalibrated"},
		},
		{
			name:  "multi-label confidences are the calibrated posteriors",
			file:  "classify/fitted.go",
			old:   "out[l] = f.prep[l].posterior(x)",
			new:   "out[l] = 1 / (1 + math.Exp(-x))",
			tests: []string{"classify:TestMultiFitCalibrated"},
		},
		{
			name:  "a label whose logit separates its texts clearly keeps the sigmoid",
			file:  "classify/multicalib.go",
			old:   "if m.separation() > multiCalibMaxSep && m.mu0 < 0 && m.mu1 > 0 {",
			new:   "if false {",
			tests: []string{"classify:TestCalibrateLabelSeparated"},
		},
		{
			name:  "a separated label keeps the sigmoid only where logit 0 lies between its two groups",
			file:  "classify/multicalib.go",
			old:   "&& m.mu0 < 0 && m.mu1 > 0 {",
			new:   "{",
			tests: []string{"classify:TestCalibrateLabelSeparated"},
		},
		{
			name:  "a label's calibrated confidence never falls as its logit rises",
			file:  "classify/multicalib.go",
			old:   "p.hi = max(vertex, mu1)",
			new:   "_ = vertex",
			tests: []string{"classify:TestFitMixture"},
		},
		{
			name:  "a real-time call with a fitted classifier and no threshold uses the job's",
			file:  "server/realtime.go",
			old:   "spec.Threshold = f.jobThreshold",
			new:   "_ = f.jobThreshold",
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
