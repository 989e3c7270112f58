package main

// Issue 24: label_rare for a label some but few previewed lines get; a described complement
// read within its pair where the corpus backs that reading.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a label few previewed lines get is warned label_rare",
			file:  "classify/preview.go",
			old:   "if rareLabel(pl.Count, len(sample), nl) {",
			new:   "if false {",
			tests: []string{"classify:TestPreviewRareLabel"},
		},
		{
			name:  "a label's share is rare only against an even share of many labels too",
			file:  "classify/preview.go",
			old:   "min(previewRare, previewRareEven/float64(labels))",
			new:   "previewRare",
			tests: []string{"classify:TestPreviewRareLabel"},
		},
		{
			name:  "a described complement is read within its pair where its fit's gain is the higher",
			file:  "classify/fit.go",
			old:   "if pairGain > fitPairGain*gain {",
			new:   "if pairGain < 0*gain {",
			tests: []string{"classify:TestFitReadsDescribedComplement"},
		},
	}...)
}
