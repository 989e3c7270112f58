package classify

import (
	"math"
)

// Scoring (DESIGN.md §4). A text's vector is the SIF-weighted average of its known words'
// vectors (weight a/(a+p(w)), p(w) from the word's frequency rank by Zipf's law, punctuation
// 0), normalised to unit length. A label's
// prototype combines its name (every word weighted alike: label names are short and each word
// matters), its description and the centroid of its examples, each centred and normalised,
// then normalised again. A text's score for a label is the cosine of the two.
const (
	// Relative weights of the prototype parts. The name is the most reliable signal: the
	// descriptions in the wild are a sentence of plain words that mostly say "text about X".
	protoNameWeight = 1.0
	protoDescWeight = 0.3
	protoExWeight   = 1.0

	// singleTemp is the softmax temperature over cosines in single mode. Centred GloVe
	// cosines of a text with competing labels typically differ by 0.02..0.2; at 0.05 a
	// difference of 0.1 gives 88 % between two labels and ties give 1/n, so confidence grows
	// with the margin instead of saturating.
	singleTemp = 0.05

	// Multi mode: confidence = sigmoid((cos - multiCenter) / multiScale). A cosine of 0.35
	// between a centred sentence and a centred prototype is a clear topical match for these
	// vectors (loosely related topics sit around 0.2..0.25), so it maps to 0.5; 0.05 per unit spreads
	// 0.2..0.5 over 0.05..0.95.
	multiCenter = 0.35
	multiScale  = 0.05
)

type model struct {
	b         *Builtin
	labels    []string
	protos    []float32 // len(labels)*dims, unit rows (zero row if a label has no known word)
	multi     bool
	threshold float64
}

// Compile builds the label prototypes for spec. It normalises a copy of spec first (defaults:
// mode single, threshold DefaultBatchThreshold), so it returns a *ValidationError for an
// invalid spec and never another error. A label whose name, description and examples have no
// word in the vocabulary gets a zero prototype: it scores 0 against every text.
func (b *Builtin) Compile(spec Spec) (Model, error) {
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		return nil, err
	}
	d := b.dims
	m := &model{
		b:         b,
		labels:    spec.Labels,
		protos:    make([]float32, len(spec.Labels)*d),
		multi:     spec.Mode == ModeMulti,
		threshold: *spec.Threshold,
	}
	var t tokenizer
	part := make([]float32, d)
	ex := make([]float32, d)
	for i, label := range spec.Labels {
		p := m.protos[i*d : (i+1)*d]
		if known(b.sentence(&t, label, part, true)) {
			axpy(p, protoNameWeight, part)
		}
		if desc := spec.Descriptions[label]; desc != "" && known(b.sentence(&t, desc, part, false)) {
			axpy(p, protoDescWeight, part)
		}
		clear(ex)
		n := 0
		for _, e := range spec.Examples[label] {
			if known(b.sentence(&t, e, part, false)) {
				axpy(ex, 1, part)
				n++
			}
		}
		if n > 0 && normalize(ex) {
			axpy(p, protoExWeight, ex)
		}
		normalize(p)
	}
	return m, nil
}

// sentence writes text's centred unit vector into v and returns the number of known words
// (0: v is all zero) and of tokens. uniform weighs every word alike instead of by SIF.
func (b *Builtin) sentence(t *tokenizer, text string, v []float32, uniform bool) (known, tokens int) {
	clear(v)
	t.reset(text)
	d := b.dims
	for {
		tok, ok := t.next()
		if !ok {
			break
		}
		tokens++
		row := b.lookup(tok)
		if row < 0 || b.scale[row] == 0 {
			continue
		}
		f := b.factor[row]
		if uniform {
			f = b.scale[row]
		}
		q := b.vecs[int(row)*d : int(row)*d+d]
		q = q[:len(v)]
		for j := range v {
			// The explicit float32 conversion forbids fusing into an FMA, so results are
			// the same on every architecture, not only run to run.
			v[j] += float32(f * float32(q[j]))
		}
		known++
	}
	if known == 0 {
		return 0, tokens
	}
	// Cosines ignore length, so the weighted sum needs no division by the total weight.
	// (Tried and left out: subtracting the SIF "common component" estimated from the Zipf
	// prior, from texts or as a per-label prior score correction. It fixed some label biases
	// but cost up to 0.7 macro-F1 on reuters_grain; see the report / TODO on label priors.)
	if !normalize(v) {
		return 0, tokens
	}
	return known, tokens
}

// Classify implements Model. It allocates scratch space once per call, not per text or token.
func (m *model) Classify(texts []string, out []Result) {
	d := m.b.dims
	nl := len(m.labels)
	t := tokenizer{buf: make([]byte, 0, 64)}
	v := make([]float32, d)
	scores := make([]float32, nl)
	for i, text := range texts {
		known, tokens := m.b.sentence(&t, text, v, false)
		if known == 0 {
			out[i] = m.unknown(tokens)
			continue
		}
		for l := range scores {
			p := m.protos[l*d : l*d+d]
			p = p[:len(v)]
			var s float32
			for j := range v {
				s += float32(v[j] * p[j])
			}
			scores[l] = s
		}
		if m.multi {
			out[i] = m.multiResult(scores, tokens)
		} else {
			out[i] = m.singleResult(scores, tokens)
		}
	}
}

// unknown answers a text with no word in the vocabulary: every label is equally likely, so
// single mode picks the first label with confidence 1/n and multi mode returns no label.
func (m *model) unknown(tokens int) Result {
	if m.multi {
		return Result{Labels: []LabelScore{}, Tokens: tokens}
	}
	return Result{Label: m.labels[0], Confidence: round4(1 / float64(len(m.labels))), Tokens: tokens}
}

func (m *model) singleResult(scores []float32, tokens int) Result {
	best := 0
	for l, s := range scores {
		if s > scores[best] { // strict: ties go to the earlier label
			best = l
		}
	}
	var z float64
	top := float64(scores[best])
	for _, s := range scores {
		z += math.Exp((float64(s) - top) / singleTemp)
	}
	return Result{Label: m.labels[best], Confidence: round4(1 / z), Tokens: tokens}
}

func (m *model) multiResult(scores []float32, tokens int) Result {
	var labels []LabelScore
	for l, s := range scores {
		c := round4(1 / (1 + math.Exp(-(float64(s)-multiCenter)/multiScale)))
		if c >= m.threshold {
			labels = append(labels, LabelScore{Label: m.labels[l], Confidence: c})
		}
	}
	// Insertion sort, stable: highest first, ties keep label order. Few labels pass.
	for i := 1; i < len(labels); i++ {
		for j := i; j > 0 && labels[j].Confidence > labels[j-1].Confidence; j-- {
			labels[j], labels[j-1] = labels[j-1], labels[j]
		}
	}
	if labels == nil {
		labels = []LabelScore{}
	}
	return Result{Labels: labels, Tokens: tokens}
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// axpy computes y += a*x.
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	for i := range y {
		y[i] += float32(a * x[i])
	}
}

// normalize scales v to unit length and reports whether v was non-zero.
func normalize(v []float32) bool {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return false
	}
	inv := float32(1 / math.Sqrt(ss))
	for i := range v {
		v[i] *= inv
	}
	return true
}

func known(words, _ int) bool { return words > 0 }
