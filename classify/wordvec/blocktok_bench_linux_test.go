package wordvec

import (
	"runtime"
	"slices"
	"testing"
)

// BenchmarkBlockKeysAB is BenchmarkCorpusText's text vector with blockKeys (B) and without
// (A, scanKeys), interleaved in one thread over blocks of 500 texts so that both see the same
// machine load, each side first on every other block: it reports each side's CPU nanoseconds per text and A over B. Skipped without
// CLASSER_BENCH_CORPUS or AVX2.
func BenchmarkBlockKeysAB(b *testing.B) {
	if !useBlockTokens {
		b.Skip("no AVX2")
	}
	texts := benchCorpus(b)
	m := testBuiltin(b)
	m.Calibration()
	read := m.Reader()
	v := make([]float32, m.Dims())
	var rows []int32
	defer func(on bool) { useBlockTokens = on }(useBlockTokens)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var cpu [2]int64
	for b.Loop() {
		first := 0
		for blk := range slices.Chunk(texts, 500) {
			first ^= 1 // the second side finds the block's words in cache: take turns
			for k := range 2 {
				side := first ^ k
				useBlockTokens = side == 1
				c0 := threadCPU()
				for _, s := range blk {
					rows = rows[:0]
					read(s, v, false, &rows)
				}
				cpu[side] += threadCPU() - c0
			}
		}
	}
	ops := float64(b.N) * float64(len(texts))
	b.ReportMetric(float64(cpu[0])/ops, "A-cpu-ns/text")
	b.ReportMetric(float64(cpu[1])/ops, "B-cpu-ns/text")
	b.ReportMetric(float64(cpu[0])/float64(cpu[1]), "A/B")
}
