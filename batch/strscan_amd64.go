package batch

import "golang.org/x/sys/cpu"

// useStopAVX2 picks stopIndexAVX2 for a string's body; a variable so the test can compare
// both paths on one machine.
var useStopAVX2 = cpu.X86.HasAVX2

// stopIndexAVX2 returns the index of the first byte in p[:n] that is '"', '\\' or below
// 0x20, or n if there is none; for n < 32 it checks nothing and returns 0.
//
//go:noescape
func stopIndexAVX2(p *byte, n int) int
