package classify

import (
	"math"
	"slices"
)

// The corpus fit's student (fit.go, step 3): a naive Bayes model of the sample's words.

// fitRow is a text of a fit: a sample text, or a spec's example.
type fitRow struct {
	v     []float32 // unit text vector
	rows  []int32   // the word model's rows of its known words
	label int       // an example's label, or -1
	t0    []float64 // the teacher's logits
}

// trainStudent returns the student's weights (V×nl, word-major): each vocabulary word's
// log-likelihood ratio per label under the teacher's soft labels q (multi mode: of the label
// applying against not applying), spec examples counting fitExampleWeight texts each.
func trainStudent(rs []fitRow, q [][]float64, index map[int32]int, V, nl, vocabAll int, multi bool) []float64 {
	weight := studentWeights(rs, q, multi)
	cnt := make([]float64, V*nl) // soft counts (multi: of the label applying)
	neg := make([]float64, V*nl) // multi: soft counts of the label not applying
	occ := make([]float64, V)    // occurrences
	tot := make([]float64, nl)
	totNeg := make([]float64, nl)
	var nWords float64
	for i, r := range rs {
		wt := weight[i]
		for _, w := range r.rows {
			k, ok := index[w]
			if !ok {
				continue
			}
			occ[k] += wt
			for l := range nl {
				cnt[k*nl+l] += wt * q[i][l]
				neg[k*nl+l] += wt * (1 - q[i][l])
			}
		}
		n := float64(len(r.rows))
		nWords += wt * n
		for l := range nl {
			tot[l] += wt * q[i][l] * n
			totNeg[l] += wt * (1 - q[i][l]) * n
		}
	}
	W := make([]float64, V*nl)
	for k := range V {
		c := cnt[k*nl : k*nl+nl]
		// Add-one smoothing spread by the word's overall frequency (vocabAll words).
		pw := (occ[k] + 1) / (nWords + float64(vocabAll))
		for l := range nl {
			if multi {
				W[k*nl+l] = math.Log((c[l]+pw)/(tot[l]+1)) - math.Log((neg[k*nl+l]+pw)/(totNeg[l]+1))
			} else {
				W[k*nl+l] = math.Log((c[l]+pw)/(tot[l]+1)) - math.Log(pw)
			}
		}
	}
	return W
}

// studentWeights returns each row's weight in the student: a spec example fitExampleWeight, a
// sample text (single mode) its teacher's top posterior q to the power fitSureExp, scaled so
// that the sample's weights average 1 (multi mode: 1).
func studentWeights(rs []fitRow, q [][]float64, multi bool) []float64 {
	w := make([]float64, len(rs))
	var sum float64
	n := 0
	for i, r := range rs {
		switch {
		case r.label >= 0:
			w[i] = fitExampleWeight
		case multi:
			w[i] = 1
		default:
			w[i] = math.Pow(slices.Max(q[i]), fitSureExp)
			sum += w[i]
			n++
		}
	}
	if sum > 0 {
		for i, r := range rs {
			if r.label < 0 && !multi {
				w[i] *= float64(n) / sum
			}
		}
	}
	return w
}
