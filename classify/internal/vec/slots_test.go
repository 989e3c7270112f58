package vec

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSumSlotRowsInt8: the kernel's per-label sums equal the scalar float32 sums of the
// student's weights over the rows that have a slot, for label counts around its groups, and
// for a last group that runs past nl (w padded, as the student's weights are) from 1 label.
func TestSumSlotRowsInt8(t *testing.T) {
	if !UseAVX2 {
		t.Skip("no AVX2")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 500 {
		nl := 1 + r.IntN(127)
		ng := nl &^ 7
		if r.IntN(2) == 0 {
			ng = (nl + 7) &^ 7
		}
		words := 1 + r.IntN(40)
		w := make([]int8, words*nl, words*nl+7)
		for i := range w[:cap(w)] { // the padding too: its bytes must not reach a label's sum
			w[:cap(w)][i] = int8(r.IntN(256) - 128)
		}
		slot := make([]int32, 60)
		for i := range slot {
			slot[i] = int32(r.IntN(words+words/2)) - int32(words/2)
			slot[i] = max(slot[i], -1)
		}
		rows := make([]int32, 1+r.IntN(300))
		for i := range rows {
			rows[i] = int32(r.IntN(len(slot)))
		}
		want := make([]float32, nl)
		for _, row := range rows {
			if k := slot[row]; k >= 0 {
				for l := range nl {
					want[l] += float32(w[int(k)*nl+l])
				}
			}
		}
		got := make([]float32, max(nl, ng))
		for l := range got {
			got[l] = float32(r.NormFloat64()) // overwritten below ng
		}
		SumSlotRowsInt8AVX2(&got[0], &w[0], nl, &slot[0], &rows[0], len(rows), ng)
		for l := range min(nl, ng) {
			if math.Float32bits(got[l]) != math.Float32bits(want[l]) {
				t.Fatalf("nl=%d rows=%d label %d: %v, want %v", nl, len(rows), l, got[l], want[l])
			}
		}
	}
}
