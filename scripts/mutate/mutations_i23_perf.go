package main

func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "the pprof endpoint listens on loopback addresses only",
			file:  "pprof.go",
			old:   "(ip == nil || !ip.IsLoopback())",
			new:   "(ip == nil)",
			tests: []string{".:TestPprofAddrLoopbackOnly"},
		},
	}...)
}
