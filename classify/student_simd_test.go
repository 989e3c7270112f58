package classify

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/classer-ai/classer-batch/classify/internal/vec"
)

// TestFittedStudentSIMDExact: a corpus fit's answers are the same with the student's sums in
// SumSlotRowsInt8AVX2 (all labels, the last group of eight reading into the padding past the
// weights) as with the scalar loop, at label counts below, at and around a group of eight;
// and a decoded state's weights have the padding, so that the kernel takes every label.
func TestFittedStudentSIMDExact(t *testing.T) {
	if !vec.UseAVX2 {
		t.Skip("no AVX2")
	}
	b := testBuiltin(t)
	labels := []string{"sports", "politics", "cooking", "weather", "music", "travel", "science", "films"}
	for i := 0; len(labels) < 50; i++ {
		labels = append(labels, fmt.Sprintf("topic %d", i))
	}
	texts := append([]string{"", "!!!", "zzqqxx"}, benchTexts...)
	texts = append(texts, fitSample(100)...)
	for _, n := range []int{1, 3, 7, 8, 9, 50} {
		for _, mode := range []string{ModeSingle, ModeMulti} {
			spec := Spec{Labels: labels[:n], Mode: mode}
			state, f := fitState(t, b, spec, fitSample(300))
			if len(f.words) == 0 {
				t.Fatalf("n=%d %s: the fit has no student", n, mode)
			}
			if cap(f.w)-len(f.w) < studentPad {
				t.Fatalf("n=%d %s: decoded weights have %d bytes of padding, want %d", n, mode, cap(f.w)-len(f.w), studentPad)
			}
			run := func(avx bool) []Result {
				vec.UseAVX2 = avx
				defer func() { vec.UseAVX2 = true }()
				m, err := b.CompileFitted(spec, state)
				if err != nil {
					t.Fatal(err)
				}
				return classifyAll(t, m, texts)
			}
			if got, want := run(true), run(false); !reflect.DeepEqual(got, want) {
				for i := range got {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("n=%d %s text %q: %+v, want %+v", n, mode, texts[i], got[i], want[i])
					}
				}
			}
		}
	}
}
