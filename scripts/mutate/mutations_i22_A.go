package main

// Mutations for issue 22's slice A (the batch data path).
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a page of lines copies each text out of the line buffer",
			file:  "batch/browse.go",
			old:   "\t\treturn string(b)\n",
			new:   "\t\treturn borrowString(b)\n",
			tests: []string{"batch:TestLinesTextsAreTheirOwn", "server:TestLinesOverHTTPAreTheirOwn"},
		},
	}...)
}
