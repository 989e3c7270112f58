//go:build !linux

package classify

import "testing"

// reportCPU reports nothing where there is no per-thread CPU time to read.
func reportCPU(*testing.B, int64) func() { return func() {} }

func threadCPU() int64 { return 0 }
