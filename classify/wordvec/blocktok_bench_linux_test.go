package wordvec

import (
	"bufio"
	"encoding/json"
	"os"
	"runtime"
	"slices"
	"testing"
)

// BenchmarkBlockKeysAB is BenchmarkCorpusText's text vector with blockKeys (B) and without
// (A, scanKeys), interleaved in one thread over blocks of 500 texts so that both see the same
// machine load, each side first on every other block: it reports each side's CPU nanoseconds per text and A over B. Skipped without
// CLASSER_BENCH_CORPUS or AVX2.
func BenchmarkBlockKeysAB(b *testing.B) {
	path := os.Getenv("CLASSER_BENCH_CORPUS")
	if path == "" || !useBlockTokens {
		b.Skip("CLASSER_BENCH_CORPUS is not set, or no AVX2")
	}
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var texts []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() && len(texts) < 100_000 {
		var r struct{ Text string }
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Text != "" {
			texts = append(texts, r.Text)
		}
	}
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
