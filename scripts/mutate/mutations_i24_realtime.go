package main

// Issue 24 item 5: real-time answers without a fit (classify/realtime.go).
func init() {
	mutations = append(mutations, []mutation{
		{name: "catch-all bar no lower for short texts", file: "classify/realtime.go",
			old: "catchAllBarBase  = 0.875", new: "catchAllBarBase  = 4.0",
			tests: []string{"./classify:TestCatchAllBarShortTexts"}},
		{name: "real-time ignores the text's length for a catch-all", file: "classify/realtime.go",
			old: "\tif m.anyCatchAll {\n\t\trows = new([]int32)", new: "\tif false {\n\t\trows = new([]int32)",
			tests: []string{"./classify:TestCatchAllBarShortTexts"}},
	}...)
}
