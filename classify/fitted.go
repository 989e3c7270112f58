package classify

import (
	"fmt"
	"math"

	"github.com/classer-ai/classer-batch/classify/internal/vec"
)

// The compiled corpus fit (fit.go): a batch job's logits and answers for each text.

// fitted is a compiled corpus fit.
type fitted struct {
	nl, d    int
	multi    bool
	centre   []float32 // d
	protos   []float32 // nl×d, centred unit prototypes; a catch-all's row is zero
	alt      []float32 // nl×d or nil: the names reading's centred prototypes (see fitAgree)
	catchAll []bool
	calib    []mixture // multi mode: each label's calibration (multicalib.go), or nil
	prep     []mixPrep // calib prepared (decodeFit)
	temp     float32   // the confidence temperature (see fitTemp)
	bias     []float32 // nl or nil: each label's logit offset (fitAbsentBias for an absent label)
	// negates is nil, or per label the index of the label it negates when it is a described
	// complement read within its pair (pairScores), else -1. Its row of protos holds its
	// centred prototype; it stays a catch-all against every other label.
	negates []int32
	words   []string  // the student's vocabulary
	wscale  []float32 // nl: dequantises w
	w       []int8    // len(words)×nl, word-major, with studentPad bytes of capacity past its end
	// Built by compile: slot maps a model row to its index in words, or -1; protosT and altT
	// are protos and alt transposed for dotColsAVX2 (nil without AVX2).
	slot    []int32
	protosT []float32
	altT    []float32
	stride  int

	// exhaustive: multi mode, the calibrated labels cover the corpus (exhaustiveLabels), so
	// each text's confidences are conditioned on its having at least one of them.
	exhaustive bool
	// lineCentred: exhaustive, and calib is of each logit less the text's mean logit
	// (lineMean; a state without it was calibrated on the logits themselves).
	lineCentred bool
}

// fitScratch is the per-call scratch space of logits, so that classifying allocates nothing
// per text.
type fitScratch struct {
	x   []float32 // d: the centred text vector
	raw []float32 // stride: dot products (AVX2 path)
	nb  []float32 // nl: the student's sums of int8 weights (exact: small integers)
}

func (f *fitted) scratch() *fitScratch {
	return &fitScratch{x: make([]float32, f.d), raw: make([]float32, max(f.stride, f.nl)), nb: make([]float32, (f.nl+7)&^7)}
}

// studentPad is the capacity a fitted's w has past its end (newStudentWeights), so that
// SumSlotRowsInt8AVX2 can sum the labels past the last full group of eight (all of them at 3
// labels) in its eight lanes: the last row's read runs up to 7 bytes past w.
const studentPad = 7

// newStudentWeights returns a fitted's w for n weights.
func newStudentWeights(n int) []int8 { return make([]int8, n, n+studentPad) }

// logits writes the fitted logit of every label for a text with unit vector v (the model rows
// of its known words in rows) into out, leaving the centred text vector in sc.x.
func (f *fitted) logits(v []float32, rows []int32, out []float64, sc *fitScratch) {
	nl := f.nl
	if len(rows) > 0 && len(f.words) > 0 {
		// The student's slots are read at the end: their misses overlap the work before.
		vec.PrefetchIndexed(&f.slot[0], &rows[0], len(rows))
	}
	x := sc.x
	vec.Sub(x, v, f.centre)
	if !vec.Normalize(x) {
		clear(out)
		return
	}
	dots := f.dots(x, f.protos, f.protosT, sc)
	for l := range nl {
		s := float64(dots[l])
		if f.catchAll[l] {
			s = fitCatchScore
		}
		if f.multi {
			out[l] = fitMultiKappa * (s - fitMultiCentre)
		} else {
			out[l] = fitKappa * s
		}
	}
	for c, x := range f.negates {
		if x >= 0 {
			sx, sn := pairScores(float64(dots[x]), float64(dots[c]))
			out[x], out[c] = fitKappa*sx, fitKappa*sn
		}
	}
	for l, b := range f.bias {
		out[l] += float64(b)
	}
	if len(rows) == 0 || len(f.words) == 0 {
		return
	}
	nb := sc.nb
	l0 := 0 // labels below l0 are summed by the kernel, in registers over all the rows
	if ng := nl &^ 7; vec.UseAVX2 {
		if cap(f.w)-len(f.w) >= studentPad {
			ng = (nl + 7) &^ 7
		}
		if ng > 0 {
			l0 = min(ng, nl)
			vec.SumSlotRowsInt8AVX2(&nb[0], &f.w[0], nl, &f.slot[0], &rows[0], len(rows), ng)
		}
	}
	if l0 < nl {
		clear(nb[l0:])
		for _, r := range rows {
			k := f.slot[r]
			if k < 0 {
				continue
			}
			w := f.w[int(k)*nl+l0 : int(k)*nl+nl]
			for j, x := range w {
				nb[l0+j] += float32(x)
			}
		}
	}
	norm := fitBeta / math.Pow(float64(len(rows)), fitGamma)
	for l := range nl {
		out[l] += float64(nb[l]) * float64(f.wscale[l]) * norm
	}
}

// pairScores returns the scores of a label and of its described complement ("not spam" next to
// "spam", with a description) from their centred cosines cx and cc. Against the spec's other
// labels the pair scores what it would with the complement a catch-all (the better of cx and
// fitCatchScore); within the pair, the complement's description decides: the one whose
// cosine is lower loses the difference.
func pairScores(cx, cc float64) (sx, sc float64) {
	g := max(cx, fitCatchScore)
	return g - max(0, cc-cx), g - max(0, cx-cc)
}

// absent reports whether the fit took label l out as absent from the corpus (absentLabels).
func (f *fitted) absent(l int) bool { return f.bias != nil && f.bias[l] <= fitAbsentBias }

// dots returns the centred text vector x's dot product with each of the nl rows of protos
// (protosT: their transpose for dotColsAVX2, or nil), in sc.raw.
func (f *fitted) dots(x, protos, protosT []float32, sc *fitScratch) []float32 {
	d, nl := f.d, f.nl
	out := sc.raw[:nl]
	if protosT != nil {
		if vec.UseAVX512 && f.stride%16 == 0 {
			vec.DotColsAVX512(&x[0], &protosT[0], d, f.stride, &sc.raw[0])
		} else {
			vec.DotColsAVX2(&x[0], &protosT[0], d, f.stride, &sc.raw[0])
		}
		return out
	}
	for l := range nl {
		p := protos[l*d : (l+1)*d]
		var s float32
		for j, a := range x {
			s += a * p[j]
		}
		out[l] = s
	}
	return out
}

// namesAnswer returns the names reading's answer (fitAgree) for the text logits last scored
// with sc, or -1 when the fit has no names reading. Only classifying asks for it, not the fit.
// (A text logits could not centre has all logits 0, so its temperature does not matter.)
func (f *fitted) namesAnswer(sc *fitScratch) int {
	if f.alt == nil {
		return -1
	}
	dots := f.dots(sc.x, f.alt, f.altT, sc)
	best, top := -1, math.Inf(-1)
	for l := range f.nl {
		s := float64(dots[l])
		if f.catchAll[l] {
			s = fitCatchScore
		}
		if s > top {
			best, top = l, s
		}
	}
	return best
}

// compile prepares a decoded state for classifying with model b: the word slots and, with
// AVX2, the prototypes transposed for DotColsAVX2 or DotColsAVX512 (d rows of stride labels,
// zero padded).
func (f *fitted) compile(b WordVectors) {
	f.slot = make([]int32, b.Vocabulary())
	for i := range f.slot {
		f.slot[i] = -1
	}
	for k, w := range f.words {
		if r := b.Row(w); r >= 0 {
			f.slot[r] = int32(k)
		}
	}
	// (b is the word model: the student's words are the built-in model's.)
	if vec.UseAVX2 {
		f.stride = (f.nl + 7) &^ 7
		if vec.UseAVX512 {
			f.stride = (f.nl + 15) &^ 15 // DotColsAVX512's lanes
		}
		f.protosT = f.transpose(f.protos)
		if f.alt != nil {
			f.altT = f.transpose(f.alt)
		}
	}
}

// transpose returns nl×d prototypes as d rows of stride labels, zero padded (dotColsAVX2).
func (f *fitted) transpose(protos []float32) []float32 {
	t := make([]float32, f.d*f.stride)
	for l := range f.nl {
		for j := range f.d {
			t[j*f.stride+l] = protos[l*f.d+j]
		}
	}
	return t
}

// singleResult is the answer for a text of tokens tokens with logits logit; alt is the names
// reading's answer (namesAnswer).
func (f *fitted) singleResult(labels []string, logit []float64, tokens, alt int) Result {
	best := argmax(logit)
	z := expSum(logit, logit[best], f.textTemp(tokens, best, alt))
	return Result{Label: labels[best], Confidence: Round4(1 / z), Tokens: tokens}
}

// expSum returns the sum over l, in label order, of math.Exp(temp*(logit[l]-m)): the terms
// come in blocks of 32 from vec.ExpShifted (math.Exp's own bits, four at a time).
func expSum(logit []float64, m, temp float64) float64 {
	var buf [32]float64 // small: it is zeroed on every call
	var z float64
	for i := 0; i < len(logit); i += len(buf) {
		part := logit[i:min(i+len(buf), len(logit))]
		e := buf[:len(part)]
		vec.ExpShifted(e, part, m, temp)
		for _, x := range e {
			z += x
		}
	}
	return z
}

// textTemp is the confidence temperature of a text of tokens tokens whose answer is best and
// whose names reading's answer is alt (-1: none): the job's temperature (fitTemp), lowered for
// a long text (fitLongText) and raised where the names reading agrees (fitAgree).
func (f *fitted) textTemp(tokens, best, alt int) float64 {
	temp := float64(f.temp)
	if tokens > fitLongText {
		temp *= math.Pow(fitLongText/float64(tokens), fitLongExp)
	}
	if alt == best {
		temp *= fitAgree
	}
	return temp
}

func (f *fitted) multiResult(labels []string, logit []float64, threshold float64, tokens int) Result {
	var out []LabelScore
	for l, c := range f.multiConfidences(logit) {
		if c >= threshold {
			out = append(out, LabelScore{Label: labels[l], Confidence: c})
		}
	}
	sortScores(out)
	if out == nil {
		out = []LabelScore{}
	}
	return Result{Labels: out, Tokens: tokens}
}

// multiConfidences turns multi-mode logits into each label's confidence (4 decimals). A
// catch-all applies when no specific label does: its logit is minus the best one's, or, with
// a calibration, its confidence is that the likeliest specific label does not apply.
func (f *fitted) multiConfidences(logit []float64) []float64 {
	out := make([]float64, len(logit))
	if f.prep != nil {
		shift := 0.0
		if f.lineCentred {
			shift = lineMean(logit)
		}
		for l, x := range logit {
			if !f.catchAll[l] {
				x -= shift
				out[l] = f.prep[l].posterior(x)
			}
		}
		if f.exhaustive {
			atLeastOne(out, f.catchAll)
		}
		best := 0.0
		for l, c := range out {
			if !f.catchAll[l] {
				best = max(best, c)
			}
		}
		for l := range out {
			if f.catchAll[l] {
				out[l] = 1 - best
			}
			out[l] = Round4(out[l])
		}
		return out
	}
	best := math.Inf(-1)
	for l, x := range logit {
		if !f.catchAll[l] {
			best = max(best, x)
		}
	}
	for l, x := range logit {
		if f.catchAll[l] {
			x = -best
		}
		out[l] = Round4(multiSigmoid(x))
	}
	return out
}

// multiSigmoid is a multi-mode label's confidence without a calibration.
func multiSigmoid(x float64) float64 {
	return 1 / (1 + math.Exp(-fitMultiTemp*x))
}

// sortScores orders labels highest first; ties keep label order (insertion sort, stable:
// few labels pass a threshold).
func sortScores(labels []LabelScore) {
	for i := 1; i < len(labels); i++ {
		for j := i; j > 0 && labels[j].Confidence > labels[j-1].Confidence; j-- {
			labels[j], labels[j-1] = labels[j-1], labels[j]
		}
	}
}

var _ Fitter = (*WordClassifier)(nil)

// CompileFitted implements Fitter: Compile, then the fitted state. A nil state is Compile.
func (b *WordClassifier) CompileFitted(spec Spec, state []byte) (Model, error) {
	mdl, err := b.Compile(spec)
	if err != nil || state == nil {
		return mdl, err
	}
	m := mdl.(*model)
	f, err := decodeFit(state)
	if err != nil {
		return nil, err
	}
	if f.nl != len(m.labels) || f.d != b.dims || f.multi != m.multi {
		return nil, fmt.Errorf("fit state: %d labels × %d dims (multi %v), spec has %d × %d (multi %v)",
			f.nl, f.d, f.multi, len(m.labels), b.dims, m.multi)
	}
	f.compile(b.words)
	m.fit = f
	return m, nil
}
