package classify

import "testing"

// BenchmarkClassifyCatchAll is BenchmarkClassify3Labels with a catch-all among the labels:
// Classify then also reads each text's word weights (catchAllBar).
func BenchmarkClassifyCatchAll(b *testing.B) {
	m, err := testBuiltin(b).Compile(Spec{Labels: []string{"billing", "technical", "other"}})
	if err != nil {
		b.Fatal(err)
	}
	texts := make([]string, 256)
	var n int64
	for i := range texts {
		texts[i] = benchTexts[i%len(benchTexts)]
		n += int64(len(texts[i]))
	}
	out := make([]Result, len(texts))
	b.SetBytes(n)
	b.ReportAllocs()
	done := reportCPU(b, n)
	for b.Loop() {
		m.Classify(texts, out)
	}
	done()
}
