//go:build !amd64

package batch

const useStopAVX2 = false

func stopIndexAVX2(p *byte, n int) int { panic("unreachable") }
