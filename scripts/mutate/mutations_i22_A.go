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
		{
			name:  "a job names its file only once the upload is stored",
			file:  "batch/runner.go",
			old:   "j.Counted, j.Fitted, j.InputVersion = false, false, \"\"",
			new:   "j.Counted, j.Fitted, j.InputVersion, j.InputFilename = false, false, \"\", filename",
			tests: []string{"server:TestUploadFilename"},
		},
		{
			name:  "an upload's file name is cut to 255 bytes",
			file:  "batch/runner.go",
			old:   "if len(name) <= MaxFilenameBytes {",
			new:   "if true {",
			tests: []string{"server:TestUploadFilename"},
		},
		{
			name:  "an upload's file name loses its control characters",
			file:  "batch/runner.go",
			old:   "if unicode.IsControl(r) {",
			new:   "if unicode.IsControl(r) && false {",
			tests: []string{"server:TestUploadFilename"},
		},
		{
			name:  "an empty upload is refused",
			file:  "batch/sniff.go",
			old:   "if !c.seen && c.err == nil {",
			new:   "if false {",
			tests: []string{"server:TestEmptyInputRefused", "server:TestUploadFilename"},
		},
		{
			name:  "local storage asks the upload's check about the whole file before storing it",
			file:  "blob/local.go",
			old:   "if e, ok := tee.(interface{ End() error }); ok {",
			new:   "if e, ok := tee.(interface{ End() error }); ok && false {",
			tests: []string{"server:TestEmptyInputRefused", "server:TestUploadFilename"},
		},
		{
			name:  "a start on an empty input is refused",
			file:  "server/jobs.go",
			old:   "if size == 0 {",
			new:   "if size < 0 {",
			tests: []string{"server:TestEmptyInputRefused"},
		},
		{
			name:  "the long-line error names the limit's setting",
			file:  "batch/chunk.go",
			old:   "jm.maxLineBytes, jm.maxTextChars)",
			new:   "jm.maxLineBytes, 0)",
			tests: []string{"batch:TestLongLineErrorNamesTheLimit"},
		},
		{
			name:  "a start removes the temp files of uploads a crash cut off",
			file:  "serve.go",
			old:   "if l, ok := objects.(*blob.Local); ok {",
			new:   "if l, ok := objects.(*blob.Local); ok && false {",
			tests: []string{".:TestStartRemovesUnfinishedUploads"},
		},
		{
			name:  "a job's error leaves out the server's file paths",
			file:  "batch/runner.go",
			old:   "msg, hid = strings.ReplaceAll(msg, pe.Error(), pe.Op+\": \"+pe.Err.Error()), true",
			new:   "msg, hid = msg, true",
			tests: []string{"batch:TestJobErrorHidesServerPaths"},
		},
		{
			name:  "a zstd input's decoder holds at most 64 MiB",
			file:  "batch/input.go",
			old:   "const maxZstdWindow = 64 << 20",
			new:   "const maxZstdWindow = 1 << 30",
			tests: []string{"batch:TestZstdWindowBounded"},
		},
		{
			name:  "a zstd window over the bound is a 422",
			file:  "server/errors.go",
			old:   "case errors.Is(err, batch.ErrZstdWindow):",
			new:   "case false:",
			tests: []string{"server:TestInputTooLargeIs422"},
		},
	}...)
}
