package main

// Issue 23, slice G: the offline commands' --model, and eval's scoring in eval/.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "the offline commands run the model --model names",
			file:  "models.go",
			old:   `if name, _ := fs.GetString("model"); name != "" {`,
			new:   `if name, _ := fs.GetString("no-such-flag"); name != "" {`,
			tests: []string{".:TestOfflineModels"},
		},
		{
			name:  "the offline commands run the job's model without --model",
			file:  "models.go",
			old:   "\treturn spec.Model",
			new:   "\treturn \"\"",
			tests: []string{".:TestOfflineModels"},
		},
		{
			name:  "the offline commands load the configured model they run",
			file:  "models.go",
			old:   "\t\tcfg.Models[name] = mc",
			new:   "\t\t_ = mc",
			tests: []string{".:TestOfflineModels"},
		},
		{
			name:  "eval's examples: a line is drawn for one label only",
			file:  "eval/examples.go",
			old:   "if _, taken := out[i]; taken {",
			new:   "if false {",
			tests: []string{"eval:TestDrawExamples"},
		},
		{
			name:  "eval pairs each result line with its own gold",
			file:  "eval/results.go",
			old:   "it := Item{Gold: gold[r.Index], Confidence: r.Confidence}",
			new:   "it := Item{Gold: gold[0], Confidence: r.Confidence}",
			tests: []string{"eval:TestResults"},
		},
		{
			name:  "the reference's summary has no ECE",
			file:  "eval/eval.go",
			old:   "\tif hasConfidence {",
			new:   "\tif true {",
			tests: []string{"eval:TestWriteSummary"},
		},
	}...)
}
