package classify

import "testing"

// BenchmarkEmbed is tokenisation, look-up and SIF pooling into a unit vector, without scoring.
func BenchmarkEmbed(b *testing.B) {
	m := testBuiltin(b)
	m.w.Calibration()
	v := make([]float32, m.dims)
	read := m.w.Reader()
	b.SetBytes(benchBytes())
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range benchTexts {
			read(s, v, false, nil)
		}
	}
}

// BenchmarkScore is scoring one text vector against 3, 50 and 200 labels (per text).
func BenchmarkScore(b *testing.B) {
	for _, n := range []int{3, 50, 200} {
		b.Run(itoa(n), func(b *testing.B) {
			labels := []string{"billing", "technical", "sales"}
			for i := len(labels); i < n; i++ {
				labels = append(labels, "topic "+itoa(i))
			}
			mod, err := testBuiltin(b).Compile(Spec{Labels: labels[:n]})
			if err != nil {
				b.Fatal(err)
			}
			m := mod.(*model)
			v := make([]float32, m.b.dims)
			m.b.w.Reader()(benchTexts[0], v, false, nil)
			scores := make([]float32, n)
			b.ReportAllocs()
			for b.Loop() {
				m.score(v, scores, make([]float32, m.stride))
			}
		})
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}
