package main

// Issue 23, ninth round: the JSON string scan's AVX2 pass (stopIndexAVX2).
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "stopIndexAVX2 stops at 0x1f, the last control byte",
			file:  "batch/strscan_amd64.s",
			old:   "MOVL $0x1f1f1f1f, DX",
			new:   "MOVL $0x1e1e1e1e, DX",
			tests: []string{"batch:TestStopIndexAVX2"},
		},
		{
			name:  "stopIndexAVX2 stops at a backslash",
			file:  "batch/strscan_amd64.s",
			old:   "VPOR Y4, Y5, Y4",
			new:   "VPOR Y4, Y4, Y4",
			tests: []string{"batch:TestStopIndexAVX2"},
		},
		{
			name:  "stopIndexAVX2 stops at the first stop byte of a block, not the last",
			file:  "batch/strscan_amd64.s",
			old:   "BSFL DX, DX",
			new:   "BSRL DX, DX",
			tests: []string{"batch:TestStopIndexAVX2"},
		},
		{
			name:  "stopIndexAVX2's last, overlapping load drops the bytes already checked",
			file:  "batch/strscan_amd64.s",
			old:   "SHRL CX, DX",
			new:   "SHRL $0, DX",
			tests: []string{"batch:TestStopIndexAVX2"},
		},
		{
			name:  "scanString skips only what stopIndexAVX2 found plain",
			file:  "batch/record.go",
			old:   "i += stopIndexAVX2(unsafe.SliceData(rest), len(rest))",
			new:   "i += stopIndexAVX2(unsafe.SliceData(rest), len(rest)) + len(rest)&32",
			tests: []string{"batch:TestScanStringPaths"},
		},
	}...)
}
