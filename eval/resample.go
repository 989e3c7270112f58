package eval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Resample keeps a subset of single-label lines in which label first is share of the lines
// (the other labels keep their proportions among the rest), to measure a classifier at a
// base rate the set does not have. The size rule: as many lines as the set allows at that
// share, n = ⌊min(first's lines / share, the others' lines / (1 − share))⌋, round(share·n)
// of them first's; which lines, is drawn by seed, deterministically. golds maps each line
// number to its gold labels (one each); the answer holds the kept lines only.
func Resample(golds map[int][]string, first string, share float64, seed uint64) (map[int][]string, error) {
	if !(share > 0 && share < 1) {
		return nil, fmt.Errorf("resample: share %v: want a number between 0 and 1, exclusive", share)
	}
	var firsts, rest []int
	for i, g := range golds {
		if len(g) != 1 {
			return nil, fmt.Errorf("resample: line %d has %d gold labels: resampling is for single-label sets", i+1, len(g))
		}
		if g[0] == first {
			firsts = append(firsts, i)
		} else {
			rest = append(rest, i)
		}
	}
	n := int(math.Floor(min(float64(len(firsts))/share, float64(len(rest))/(1-share))))
	k := min(int(math.Round(share*float64(n))), len(firsts))
	if k == 0 || n-k <= 0 {
		return nil, fmt.Errorf("resample: %d lines of %q and %d of other labels cannot make a set %.0f%% %q", len(firsts), first, len(rest), 100*share, first)
	}
	rnd := rand.New(rand.NewPCG(seed, seed^0x2545f491))
	out := make(map[int][]string, n)
	for _, part := range []struct {
		lines []int
		keep  int
	}{{firsts, k}, {rest, n - k}} {
		// Sort, then shuffle with the seed: map order must not leak into the draw.
		slices.Sort(part.lines)
		rnd.Shuffle(len(part.lines), func(a, b int) { part.lines[a], part.lines[b] = part.lines[b], part.lines[a] })
		for _, i := range part.lines[:part.keep] {
			out[i] = golds[i]
		}
	}
	return out, nil
}
