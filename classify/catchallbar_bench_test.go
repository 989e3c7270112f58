package classify

import "testing"

// BenchmarkClassifyCatchAll is BenchmarkClassify3Labels with a catch-all among the labels:
// Classify then also reads each text's word weights (catchAllBar).
func BenchmarkClassifyCatchAll(b *testing.B) {
	m, err := testBuiltin(b).Compile(Spec{Labels: []string{"billing", "technical", "other"}})
	if err != nil {
		b.Fatal(err)
	}
	benchModel(b, m)
}
