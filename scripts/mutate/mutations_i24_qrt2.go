package main

// Issue 24 item 5, second round: a described label keeps its glossary expansion in real-time
// prototypes (classify/realtime.go).
func init() {
	mutations = append(mutations, []mutation{
		{name: "real-time drops the glossary expansion of a described label", file: "classify/realtime.go",
			old: "Expansion(bare, label); e != nil", new: "Expansion(spec, label); e != nil",
			tests: []string{"./classify:TestDescriptionsKeepGlossary"}},
	}...)
}
