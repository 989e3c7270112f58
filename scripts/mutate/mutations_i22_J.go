package main

// Issue 22's loose ends (slice J).
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a static model's load error reaches tenants without its server path (the log has it)",
			file:  "models.go",
			old:   "ms.Add(name, mc.Kind, nil, staticLoadError(err))",
			new:   "ms.Add(name, mc.Kind, nil, err)",
			tests: []string{".:TestConfiguredModels"},
		},
		{
			name:  "an unsigned /_blob/download request keeps the short deadlines (the signature is checked first)",
			file:  "server/jobs.go",
			old:   "if err := s.local.CheckDownloadURL(c.Request()); err != nil {",
			new:   "if err := error(nil); err != nil {",
			tests: []string{"server:TestBlobDownloadShortTimeoutsUntilSigned"},
		},
		{
			name: "a filtered /lines page's scan of the results stops when the client goes away",
			file: "batch/browse.go",
			old: "// A filtered page may read browseScan results: it stops when the client goes away.\n" +
				"\t\tif n%browseCheckEvery == 0 && ctx.Err() != nil {",
			new: "// A filtered page may read browseScan results: it stops when the client goes away.\n" +
				"\t\tif false {",
			tests: []string{"batch:TestLinesResultsStopWhenClientLeaves"},
		},
		{
			name: "the pass that makes a completed job's results index stops when the client goes away",
			file: "batch/browse.go",
			old: "// then made by a later page).\n" +
				"\t\tif n%browseCheckEvery == 0 && ctx.Err() != nil {",
			new: "// then made by a later page).\n" +
				"\t\tif false {",
			tests: []string{"batch:TestLinesResultsStopWhenClientLeaves"},
		},
	}...)
}
