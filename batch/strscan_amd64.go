package batch

import "golang.org/x/sys/cpu"

// useStopAVX2 picks stopIndexAVX2 for a string's body; a variable so the test can compare
// both paths on one machine.
var useStopAVX2 = cpu.X86.HasAVX2

// stopIndexAVX2 returns the index of the first byte among p[:n&^31] that is '"', '\\' or
// below 0x20, or n&^31 if there is none.
//
//go:noescape
func stopIndexAVX2(p *byte, n int) int
