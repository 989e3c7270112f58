//go:build !amd64

package batch

// useStopAVX2 is a variable, as on amd64, so the tests build everywhere.
var useStopAVX2 = false

func stopIndexAVX2(p *byte, n int) int { panic("unreachable") }
