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
		{
			name:  "reaching an offset of a compressed input stops when the reader has gone",
			file:  "batch/input.go",
			old:   "dec = ctxReader{ctx, dec}",
			new:   "dec = ctxReader{context.Background(), dec}",
			tests: []string{"batch:TestLinesCompressedStopsWhenClientLeaves"},
		},
		{
			name:  "a compressed input past limits.max_input_bytes is a 422 naming the limit",
			file:  "server/errors.go",
			old:   "case errors.Is(err, batch.ErrInputTooLarge):",
			new:   "case false:",
			tests: []string{"server:TestInputTooLargeIs422"},
		},
		{
			name:  "the too-large error names the limit",
			file:  "batch/input.go",
			old:   "lr.limit = limits.MaxInputBytes",
			new:   "lr.limit = 0",
			tests: []string{"batch:TestLinesPastMaxInputBytes"},
		},
		{
			name:  "a page without lines has lines: [], not null",
			file:  "batch/browse.go",
			old:   "page.Lines = append(page.Lines, views...)",
			new:   "page.Lines = views",
			tests: []string{"batch:TestLinesEmptyIsArray", "server:TestLinesOfBlankInputIsArray"},
		},
	}...)
}
