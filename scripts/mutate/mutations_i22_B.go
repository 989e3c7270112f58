package main

// Issue 22, slice B: unauthenticated upload abuse, shutdown under it, a full disk.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "an upload URL's signature is verified before the body is read",
			file:  "blob/http.go",
			old:   "if _, err := l.CheckUploadURL(r); err != nil {",
			new:   "if _, err := l.CheckUploadURL(r); false && err != nil {",
			tests: []string{"blob:TestUploadBadURLSignatureReadsNoBody"},
		},
		{
			name:  "the form before the file part is read under the form-head limit",
			file:  "blob/http.go",
			old:   "return newFormReader(&formHeadReader{r: r.Body, n: maxFormHead}, boundary, formHeadBufSize), nil",
			new:   "return newFormReader(&formHeadReader{r: r.Body, n: 1 << 40}, boundary, formHeadBufSize), nil",
			tests: []string{"blob:TestUploadFormHeadLimit"},
		},
		{
			name:  "an unauthenticated upload's form is read through a small buffer",
			file:  "blob/http.go",
			old:   "return newFormReader(&formHeadReader{r: r.Body, n: maxFormHead}, boundary, formHeadBufSize), nil",
			new:   "return newFormReader(&formHeadReader{r: r.Body, n: maxFormHead}, boundary, uploadBufSize), nil",
			tests: []string{"blob:TestUploadMemoryPerUnauthenticatedConnection"},
		},
		{
			name:  "a signed URL's job is checked before the body is read",
			file:  "server/jobs.go",
			old:   "if err := s.allowUpload(ctx, key); err != nil {\n\t\t\treturn err\n\t\t}\n\t}\n\tadmitted",
			new:   "if err := s.allowUpload(ctx, key); false && err != nil {\n\t\t\treturn err\n\t\t}\n\t}\n\tadmitted",
			tests: []string{"server:TestBlobUploadRefusedBeforeBody"},
		},
		{
			name:  "an upload keeps the short read timeout until it is authorised",
			file:  "server/jobs.go",
			old:   "\tctx := c.Request().Context()\n\t// A signed URL is checked",
			new:   "\tctx := c.Request().Context(); s.extendDeadlines(c)\n\t// A signed URL is checked",
			tests: []string{"server:TestBlobUploadShortTimeoutsUntilAuthorised"},
		},
		{
			name:  "an admitted upload gets the transfer timeout",
			file:  "server/jobs.go",
			old:   "\t\ts.uploads.active[id] = true\n\t\ts.extendDeadlines(c)",
			new:   "\t\ts.uploads.active[id] = true\n\t\t_ = c",
			tests: []string{"server:TestBlobUploadShortTimeoutsUntilAuthorised"},
		},
		{
			name:  "SIGTERM gives requests half the shutdown timeout, then closes their connections",
			file:  "serve.go",
			old:   "if errors.Is(err, context.DeadlineExceeded) {",
			new:   "if false {",
			tests: []string{".:TestBinarySIGTERMUnderUploadAbuse"},
		},
		{
			name:  "the HTTP drain leaves the jobs time to checkpoint",
			file:  "serve.go",
			old:   "drain, cancelDrain := context.WithTimeout(ctx, budget/2)",
			new:   "drain, cancelDrain := context.WithTimeout(ctx, budget)",
			tests: []string{".:TestBinarySIGTERMUnderUploadAbuse"},
		},
		{
			name:  "a full disk is a 507 saying so, not a 500",
			file:  "server/errors.go",
			old:   "case errors.Is(err, syscall.ENOSPC):",
			new:   "case errors.Is(err, syscall.ENOSPC) && false:",
			tests: []string{"server:TestDiskFull"},
		},
		{
			name:  "the readiness probe writes data, so a full disk is not ready",
			file:  "blob/local.go",
			old:   "_, werr := f.Write(make([]byte, pingBytes))",
			new:   "_, werr := f.Write(nil)",
			tests: []string{"server:TestDiskFull"},
		},
	}...)
}
