package classify

import (
	"runtime"
	"testing"
)

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

// BenchmarkFittedScore is a corpus fit's scoring of one text (fitted.logits and singleResult,
// as a batch job runs them) without the text vector: at 3 and 50 labels, per text, over 256
// texts' vectors and words computed beforehand.
func BenchmarkFittedScore(b *testing.B) {
	for _, n := range []int{3, 50} {
		b.Run(itoa(n), func(b *testing.B) {
			clf := testBuiltin(b)
			labels := []string{"billing", "technical", "sales"}
			for i := len(labels); i < n; i++ {
				labels = append(labels, "topic "+itoa(i))
			}
			spec := Spec{Labels: labels[:n], Mode: ModeSingle}
			texts := make([]string, 256)
			for i := range texts {
				texts[i] = benchTexts[i%len(benchTexts)]
			}
			state, err := clf.Fit(spec, texts)
			if err != nil {
				b.Fatal(err)
			}
			mod, err := clf.CompileFitted(spec, state)
			if err != nil {
				b.Fatal(err)
			}
			m := mod.(*model)
			read, wordRead := m.b.w.Reader(), m.b.wordReader()
			var vs [][]float32
			var rs [][]int32
			var toks []int
			for _, text := range texts {
				v := make([]float32, m.b.dims)
				var rows []int32
				if known, tokens := m.b.vectorAndWords(read, wordRead, text, v, &rows); known > 0 {
					vs, rs, toks = append(vs, v), append(rs, rows), append(toks, tokens)
				}
			}
			logit := make([]float64, n)
			sc := m.fit.scratch()
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0 := threadCPU()
			for b.Loop() {
				for i, v := range vs {
					m.fit.logits(v, rs[i], logit, sc)
					m.fit.singleResult(m.labels, logit, toks[i], m.fit.namesAnswer(sc))
				}
			}
			if c := threadCPU() - c0; c > 0 {
				b.ReportMetric(float64(c)/float64(b.N*len(vs)), "cpu-ns/text")
			}
		})
	}
}
