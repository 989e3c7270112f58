package eval

import (
	"math"
	"unicode/utf8"
)

// The reference classifier of issue 11: a batch-centred, SIF-weighted mean of word vectors
// with argmax cosine, so that every evaluation shows what a hundred lines of plain method
// reach on the same data. Its definition, exactly:
//
//   - text vector = Σ over tokens of a/(a+p(w))·v(w), a = 1e-3, p(w) = 1/((r+1)·(ln 341479 +
//     0.5772)) for the word's 0-based frequency rank r; tokens are the maximal runs of [a-z0-9]
//     after ASCII lower-casing of the text's first 5,000 characters, unknown ones skipped;
//     then L2-normalised;
//   - label prototype = the text vector of "<label>: <description>", or of "<label>" without
//     a description;
//   - centring: the mean μ of all the texts' vectors is subtracted from every text vector and
//     prototype, which are normalised again; answer = argmax cosine (ties: the first label).

// WordVectors is what the reference needs of a word-vector model.
type WordVectors interface {
	// WordVector returns word's vector and its 0-based frequency rank, or ok false.
	WordVector(word string) (vec []float32, rank int, ok bool)
}

const (
	refA        = 1e-3
	refVocab    = 341479 // GloVe 6B's vocabulary as the npm package ships it
	refMaxChars = 5000
)

// Reference returns the reference's answer (an index into labels) for every text.
func Reference(wv WordVectors, labels []string, descriptions map[string]string, texts []string) []int {
	X := make([][]float64, len(texts))
	var mu []float64
	for i, t := range texts {
		X[i] = refVector(wv, t)
		if mu == nil && X[i] != nil {
			mu = make([]float64, len(X[i]))
		}
	}
	if mu == nil {
		return make([]int, len(texts))
	}
	for _, x := range X {
		for j := range x {
			mu[j] += x[j]
		}
	}
	for j := range mu {
		mu[j] /= float64(len(texts))
	}
	P := make([][]float64, len(labels))
	for l, label := range labels {
		text := label
		if d := descriptions[label]; d != "" {
			text = label + ": " + d
		}
		P[l] = centre(refVector(wv, text), mu)
	}
	out := make([]int, len(texts))
	for i, x := range X {
		x = centre(x, mu)
		best, bs := 0, math.Inf(-1)
		for l, p := range P {
			var s float64
			for j := range x {
				s += x[j] * p[j]
			}
			if s > bs {
				best, bs = l, s
			}
		}
		out[i] = best
	}
	return out
}

// ScoreReference scores the reference's answers on texts against their gold labels, in
// single mode (the reference answers one label). Its answers have no confidence.
func ScoreReference(wv WordVectors, labels []string, descriptions map[string]string, texts []string, gold [][]string) Report {
	pred := Reference(wv, labels, descriptions, texts)
	items := make([]Item, len(texts))
	for i, p := range pred {
		items[i] = Item{Gold: gold[i], Pred: []string{labels[p]}}
	}
	return Score("single", labels, items, 0)
}

// refVector is the reference's text vector, or nil when no token is known (a zero vector).
func refVector(wv WordVectors, text string) []float64 {
	if utf8.RuneCountInString(text) > refMaxChars {
		n := 0
		for i := range text {
			if n == refMaxChars {
				text = text[:i]
				break
			}
			n++
		}
	}
	h := math.Log(refVocab) + 0.5772
	var v []float64
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		word := make([]byte, end-start)
		for k := range word {
			c := text[start+k]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			word[k] = c
		}
		start = -1
		vec, rank, ok := wv.WordVector(string(word))
		if !ok {
			return
		}
		if v == nil {
			v = make([]float64, len(vec))
		}
		p := 1 / (float64(rank+1) * h)
		w := refA / (refA + p)
		for j, x := range vec {
			v[j] += w * float64(x)
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		if 'a' <= c|0x20 && c|0x20 <= 'z' || '0' <= c && c <= '9' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
	if v != nil {
		normalizeVec(v)
	}
	return v
}

// centre returns normalise(x − μ) (a nil x, a zero vector, gives −μ normalised).
func centre(x, mu []float64) []float64 {
	y := make([]float64, len(mu))
	for j := range mu {
		if x != nil {
			y[j] = x[j]
		}
		y[j] -= mu[j]
	}
	normalizeVec(y)
	return y
}

func normalizeVec(v []float64) {
	var ss float64
	for _, x := range v {
		ss += x * x
	}
	if ss == 0 {
		return
	}
	s := 1 / math.Sqrt(ss)
	for i := range v {
		v[i] *= s
	}
}
