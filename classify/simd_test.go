package classify

import (
	"testing"

	"github.com/classer-ai/classer-batch/classify/internal/vec"
)

// TestSIMDClassifyExact: whole results with and without the AVX2 kernels are identical.
func TestSIMDClassifyExact(t *testing.T) {
	if !vec.UseAVX2 {
		t.Skip("no AVX2")
	}
	b := testBuiltin(t)
	labels := []string{"billing", "technical", "sales", "other"}
	for i := 0; len(labels) < 61; i++ {
		labels = append(labels, []string{"sports", "politics", "weather", "food", "music", "travel", "science"}[i%7]+" "+itoa(i))
	}
	texts := append([]string{"", "!!!", "zzqqxx"}, benchTexts...)
	for _, n := range []int{1, 3, 8, 9, 61} {
		for _, mode := range []string{ModeSingle, ModeMulti} {
			run := func(avx bool) []Result {
				vec.UseAVX2 = avx
				defer func() { vec.UseAVX2 = true }()
				m, err := b.Compile(Spec{Labels: labels[:n], Mode: mode})
				if err != nil {
					t.Fatal(err)
				}
				out := make([]Result, len(texts))
				m.Classify(texts, out)
				return out
			}
			got, want := run(true), run(false)
			for i := range got {
				g, w := got[i], want[i]
				if g.Label != w.Label || g.Confidence != w.Confidence || g.Tokens != w.Tokens || len(g.Labels) != len(w.Labels) {
					t.Fatalf("n=%d %s text %d: %+v, want %+v", n, mode, i, g, w)
				}
				for k := range g.Labels {
					if g.Labels[k] != w.Labels[k] {
						t.Fatalf("n=%d %s text %d: %+v, want %+v", n, mode, i, g, w)
					}
				}
			}
		}
	}
}
