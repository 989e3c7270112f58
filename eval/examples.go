package eval

import (
	"math/rand/v2"
	"slices"
)

// DrawExamples picks k lines per label (by seed, deterministically) to become a spec's
// examples: golds holds each line's gold labels by line number; the answer maps each drawn
// line to the label it was drawn for. In multi mode a line is drawn for each label it carries.
func DrawExamples(golds map[int][]string, labels []string, k int, seed uint64) map[int]string {
	out := map[int]string{}
	if k <= 0 {
		return out
	}
	lines := make([]int, 0, len(golds))
	for i := range golds {
		lines = append(lines, i)
	}
	// Sort, then shuffle with the seed: map order must not leak into the draw.
	slices.Sort(lines)
	rnd := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	rnd.Shuffle(len(lines), func(a, b int) { lines[a], lines[b] = lines[b], lines[a] })
	for _, label := range labels {
		n := 0
		for _, i := range lines {
			if n == k {
				break
			}
			if _, taken := out[i]; taken {
				continue
			}
			for _, g := range golds[i] {
				if g == label {
					out[i] = label
					n++
					break
				}
			}
		}
	}
	return out
}
