package wordvec

import (
	"bufio"
	"encoding/json"
	"os"
	"runtime"
	"syscall"
	"testing"
)

// BenchmarkCorpusText is the built-in model's text vector (tokenise, look up, sum, normalise)
// on the first 100,000 texts of CLASSER_BENCH_CORPUS, an NDJSON file such as gencorpus's
// (../shared/bench/gencorpus): a real vocabulary, unlike the four texts of the classify
// benchmarks, whose words all stay in cache. It reports CPU nanoseconds and tokens per text
// (this thread's CPU time, steady on a shared machine). Skipped without the variable.
func BenchmarkCorpusText(b *testing.B) {
	texts := benchCorpus(b)
	var n int64
	for _, s := range texts {
		n += int64(len(s))
	}
	m := testBuiltin(b)
	m.Calibration()
	read := m.Reader()
	v := make([]float32, m.Dims())
	var rows []int32
	tokens := 0
	b.SetBytes(n)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0 := threadCPU()
	for b.Loop() {
		for _, s := range texts {
			rows = rows[:0]
			_, t := read(s, v, false, &rows)
			tokens += t
		}
	}
	ops := float64(b.N) * float64(len(texts))
	b.ReportMetric(float64(threadCPU()-c0)/ops, "cpu-ns/text")
	b.ReportMetric(float64(tokens)/ops, "tokens/text")
}

// benchCorpus reads the first 100,000 texts of CLASSER_BENCH_CORPUS (NDJSON), skipping the
// benchmark without the variable.
func benchCorpus(b *testing.B) []string {
	path := os.Getenv("CLASSER_BENCH_CORPUS")
	if path == "" {
		b.Skip("CLASSER_BENCH_CORPUS is not set")
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
	if err := sc.Err(); err != nil {
		b.Fatal(err)
	}
	return texts
}

func threadCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(1, &ru) != nil { // 1: RUSAGE_THREAD (Linux)
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
