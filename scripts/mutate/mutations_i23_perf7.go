package main

// Issue 23, seventh round: the result encoder's fast path for 4-decimal confidences, the
// JSON string scanner's fast path, and the input read past the page cache.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a confidence takes the fast path only when it is exactly k/10^4",
			file:  "batch/record.go",
			old:   "if k := math.Round(c * 1e4); k/1e4 == c {",
			new:   "if k := math.Round(c * 1e4); true {",
			tests: []string{"batch:TestAppendConfidence"},
		},
		{
			name:  "a fast-path confidence drops its trailing zeros, as AppendFloat does",
			file:  "batch/record.go",
			old:   "for d[end-1] == '0' {",
			new:   "for false && d[end-1] == '0' {",
			tests: []string{"batch:TestAppendConfidence"},
		},
		{
			name:     "a job's input is read past the page cache where the filesystem allows",
			file:     "blob/fileio_linux.go",
			old:      "if setDirect(f, true) != nil {",
			new:      "if true {",
			tests:    []string{"blob:TestOpenSequentialBypassesPageCache"},
			directIO: true,
		},
		{
			name:     "a direct read that the filesystem refuses continues buffered",
			file:     "blob/fileio_linux.go",
			old:      "if d.direct && errors.Is(err, unix.EINVAL) && n <= 0 {",
			new:      "if false {",
			tests:    []string{"blob:TestDirectReaderFallsBack"},
			directIO: true,
		},
		{
			name:  "a string with a raw control character leaves the scanner's fast path",
			file:  "batch/record.go",
			old:   "if (x-ones*0x20)&^x&highs != 0 {",
			new:   "if x == 0 && (x-ones*0x20)&^x&highs != 0 {",
			tests: []string{"batch:TestScanStringPaths"}, // FuzzParseLine runs only the AVX2 path where there is one
		},
	}...)
}
