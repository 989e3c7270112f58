package classify

import (
	"runtime"
	"syscall"
	"testing"
)

// reportCPU pins the benchmark to its thread and, when the returned func runs after the
// loop, reports cpu-MB/s: bytes per second of this thread's CPU time, which stays steady on
// a shared machine where MB/s (wall time) does not.
func reportCPU(b *testing.B, bytesPerOp int64) func() {
	runtime.LockOSThread()
	c0 := threadCPU()
	return func() {
		c := threadCPU() - c0
		runtime.UnlockOSThread()
		if c > 0 && b.N > 0 {
			b.ReportMetric(float64(b.N)*float64(bytesPerOp)/1e6/(float64(c)/1e9), "cpu-MB/s")
		}
	}
}

func threadCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(1, &ru) != nil { // 1: RUSAGE_THREAD
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
