package main

// Issue 24, preview: label_rare for a label some but few previewed lines get.
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
	}...)
}
