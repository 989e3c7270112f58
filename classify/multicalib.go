package classify

import (
	"math"
	"slices"
)

// Multi-label calibration (issue 24). A multi-label fit's logit for a label (teacher plus
// student) ranks texts for that label, but one scale for every label cannot say how likely
// each is: labels differ in how often they apply and in how far their texts stand out, so a
// fixed sigmoid left most lines of a corpus with many labels with none at all (goemotions:
// 82 %) and gave the labels it did give far more confidence than they earned. The fit
// therefore models each label's logit over the sample as a mixture of two normal
// distributions, the texts the label applies to and the rest, by EM (unsupervised, like the
// rest of the fit), and a text's confidence in the label is its posterior under that
// mixture: the share of the label's texts in the corpus is estimated along with the rest.
const (
	// multiCalibMinTexts: a sample of fewer texts keeps the fixed sigmoid; a mixture of two
	// distributions needs a few texts of the rarer side to be estimated at all. Measured on
	// 50- and 200-line subsets of the three multi-label sets (every k-th line): with 20, macro-F1
	// rose on goemotions (50 lines: 0.017 → 0.095) and movie_genres (0.073 → 0.231) and stayed
	// on reuters_grain_corn_multi (0.686 → 0.691; 200 lines: equal), against 100.
	multiCalibMinTexts = 20
	// multiCalibIters bounds the EM steps; most labels converge in far fewer (the loop stops
	// once the share and means move by less than 1e-4 and 1e-3 standard deviations). 50 and
	// 100 gave the same answers to ±0.005 micro-F1 on the three multi-label sets.
	multiCalibIters = 50
	// The EM starts with the label applying to multiCalibPrior of the texts, centred on the
	// logit's multiCalibQuantile quantile (the rest on its median). EM finds a local optimum;
	// chosen by leave-one-set-out over the multi-label sets among 0.05 / 0.1 / 0.2 (with the
	// quantile 1 − prior): 0.1 in 2 of 3 folds (EVAL.md).
	multiCalibPrior    = 0.1
	multiCalibQuantile = 0.9
	// multiCalibMinSD bounds each component's standard deviation below, as a share of the
	// logit's: a component collapsing onto a few equal logits would make every other text
	// certain.
	multiCalibMinSD = 0.05
	// multiCalibMaxSep: a label whose two components lie further apart than this, in their
	// pooled standard deviation, and on either side of the student's own boundary (logit 0),
	// keeps the fixed sigmoid. There that boundary already parts the label's texts from the
	// rest, and the mixture only adds the error of its estimated share
	// (reuters_grain_corn_multi: shares 0.054 and 0.070 against 0.095 labels per line in the
	// gold, macro-F1 −0.027). Where the components
	// overlap, logit 0 says little and the mixture's share is what gains. The labels of the
	// three multi-label sets separate by 1.0–2.2 (goemotions, movie_genres; two movie_genres
	// labels 2.6–3.3) and 2.6–3.3 (reuters); any bound from 0 to 2.6 gives the same
	// answers on them (the sign test decides there), 2.8 not (EVAL.md). 2.5, chosen on those
	// three sets in sample, keeps the mixture for overlapping labels, where it gained.
	multiCalibMaxSep = 2.5
	// multiExhaustiveLabels: a fit whose calibrated confidences give the sample's texts this
	// many labels on average or more covers its corpus (exhaustiveLabels). The estimate runs
	// low where the labels' signs are faint: 0.66 on a generated corpus whose every text is
	// about two of three labels, 0.29 on one half of whose texts are about one of three and
	// the rest about none (multicalib_test.go); on the dev suite 1.95–2.54 on the two sets
	// whose every line has a label, 0.14 on reuters_grain_corn_multi (93 % of lines have
	// none). Any value from 0.2 to 1.9 parts the dev suite the same way (so every
	// leave-one-set-out fold is indifferent); 0.5 is the middle of that gap on a log scale.
	multiExhaustiveLabels = 0.5
)

// mixture is one label's calibration: the share pi of texts it applies to, and the normal
// distributions of its logit over those (mu1, sd1) and over the rest (mu0, sd0).
type mixture struct {
	pi, mu0, sd0, mu1, sd1 float32
}

// calibrateLabel returns a label's calibration from its logits over the sample: its mixture,
// or the zero mixture (the fixed sigmoid) where logit 0 already separates the label's texts.
// (A clearly separated label whose texts the student still scores below 0, as on a small
// corpus of a few repeated texts, keeps its mixture: the sigmoid would give it none.)
func calibrateLabel(xs []float64) mixture {
	m := fitMixture(xs)
	if m.separation() > multiCalibMaxSep && m.mu0 < 0 && m.mu1 > 0 {
		return mixture{}
	}
	return m
}

// separation is how far apart the two components lie, in their pooled standard deviation.
func (m mixture) separation() float64 {
	return float64(m.mu1-m.mu0) / math.Sqrt(float64(m.sd0*m.sd0+m.sd1*m.sd1)/2)
}

// fitMixture estimates a label's mixture from its logits over the sample by EM.
func fitMixture(xs []float64) mixture {
	n := float64(len(xs))
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	var mean, sq float64
	for _, x := range xs {
		mean += x
	}
	mean /= n
	for _, x := range xs {
		sq += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(sq / n)
	if sd == 0 {
		sd = 1
	}
	floor := multiCalibMinSD * sd
	pi := multiCalibPrior
	mu0, mu1 := sorted[len(sorted)/2], sorted[int(float64(len(sorted))*multiCalibQuantile)]
	sd0, sd1 := sd, sd
	r := make([]float64, len(xs))
	for range multiCalibIters {
		// E step (rawPosterior's log ratio, its constant part taken out of the loop).
		c := math.Log(pi/(1-pi)) - math.Log(sd1/sd0)
		var sr, s1, s0 float64
		for i, x := range xs {
			z1, z0 := (x-mu1)/sd1, (x-mu0)/sd0
			r[i] = 1 / (1 + math.Exp(-(c - 0.5*z1*z1 + 0.5*z0*z0)))
			sr += r[i]
			s1 += r[i] * x
			s0 += (1 - r[i]) * x
		}
		// M step.
		was := [3]float64{pi, mu0, mu1}
		pi = min(max(sr/n, 1e-3), 1-1e-3)
		mu1, mu0 = s1/max(sr, 1e-9), s0/max(n-sr, 1e-9)
		if math.Abs(pi-was[0]) < 1e-4 && math.Abs(mu0-was[1]) < 1e-3*sd && math.Abs(mu1-was[2]) < 1e-3*sd {
			break // converged (the spreads follow the means)
		}
		var v1, v0 float64
		for i, x := range xs {
			v1 += r[i] * (x - mu1) * (x - mu1)
			v0 += (1 - r[i]) * (x - mu0) * (x - mu0)
		}
		sd1 = max(math.Sqrt(v1/max(sr, 1e-9)), floor)
		sd0 = max(math.Sqrt(v0/max(n-sr, 1e-9)), floor)
	}
	return mixture{float32(pi), float32(mu0), float32(sd0), float32(mu1), float32(sd1)}
}

// rawPosterior is the probability that the label applies to a text of logit x under the
// mixture.
func (m mixture) rawPosterior(x float64) float64 {
	z1 := (x - float64(m.mu1)) / float64(m.sd1)
	z0 := (x - float64(m.mu0)) / float64(m.sd0)
	lr := math.Log(float64(m.pi)/(1-float64(m.pi))) - 0.5*z1*z1 + 0.5*z0*z0 -
		math.Log(float64(m.sd1)/float64(m.sd0))
	return 1 / (1 + math.Exp(-lr))
}

// posterior is rawPosterior made monotone (mixPrep.posterior).
func (m mixture) posterior(x float64) float64 {
	p := m.prepare()
	return p.posterior(x)
}

// mixPrep is a mixture prepared for answering: the constant part of the log ratio, the
// inverse spreads, and the range of logits over which the ratio rises.
type mixPrep struct {
	c, a0, a1, mu0, mu1, lo, hi float64
	sigmoid                     bool // the zero mixture: the fixed sigmoid (calibrateLabel)
}

// prepare returns m ready for posterior. With unequal spreads the log ratio of the two normal
// densities is a parabola in x, and past its vertex it turns back (a text far above the
// label's texts would get less confidence than one among them, or one far below more): x is
// held at the vertex on that side.
func (m mixture) prepare() mixPrep {
	if m == (mixture{}) {
		return mixPrep{sigmoid: true}
	}
	mu0, mu1 := float64(m.mu0), float64(m.mu1)
	p := mixPrep{
		c:  math.Log(float64(m.pi)/(1-float64(m.pi))) - math.Log(float64(m.sd1)/float64(m.sd0)),
		a0: 1 / float64(m.sd0), a1: 1 / float64(m.sd1), mu0: mu0, mu1: mu1,
		lo: math.Inf(-1), hi: math.Inf(1),
	}
	if mu1 <= mu0 || m.sd0 == m.sd1 {
		return p
	}
	b0, b1 := p.a0*p.a0, p.a1*p.a1
	vertex := (mu0*b0 - mu1*b1) / (b0 - b1)
	if b1 > b0 { // the applying texts spread less: the ratio peaks at the vertex
		p.hi = max(vertex, mu1)
	} else { // they spread more: the ratio bottoms out at the vertex
		p.lo = min(vertex, mu0)
	}
	return p
}

// posterior is the probability that the label applies to a text of logit x, never falling as
// x rises.
func (p *mixPrep) posterior(x float64) float64 {
	if p.sigmoid {
		return multiSigmoid(x)
	}
	x = min(max(x, p.lo), p.hi)
	z1, z0 := (x-p.mu1)*p.a1, (x-p.mu0)*p.a0
	return 1 / (1 + math.Exp(-(p.c - 0.5*z1*z1 + 0.5*z0*z0)))
}

// exhaustiveLabels reports whether a calibrated multi-label fit's labels cover its corpus: no
// catch-all (a user who adds one says that texts may have none of the others) and, over the
// sample whose fitted logits are col (per label), the confidences add up to
// multiExhaustiveLabels or more labels per text on average. The calibrated confidences each
// price a label alone, so a text that the list covers, but that fits none of its labels
// clearly, got none (goemotions, movie_genres: 37–53 % of lines without a label, gold 0 %).
func exhaustiveLabels(calib []mixture, catchAll []bool, col [][]float64) bool {
	if slices.Contains(catchAll, true) || len(col) == 0 {
		return false
	}
	var sum float64
	for l, m := range calib {
		p := m.prepare()
		for _, x := range col[l] {
			sum += p.posterior(x)
		}
	}
	return sum >= multiExhaustiveLabels*float64(len(col[0]))
}

// lineMean is the mean of a text's logits: what lineCentred fits take out of each.
func lineMean(logit []float64) float64 {
	var s float64
	for _, x := range logit {
		s += x
	}
	return s / float64(len(logit))
}

// atLeastOne conditions the confidences of the specific labels of a text on its having at
// least one of them (an exhaustive fit): each becomes p / (1 − Π(1 − p)), treating the labels
// as independent. A text that one label fits clearly keeps nearly its confidences; one that
// fits none clearly has them all raised in proportion, its likeliest label most.
func atLeastOne(conf []float64, catchAll []bool) {
	// 1 − Π(1 − p) in logs: with every p tiny (a text far below all its labels' texts), the
	// plain product rounds to 1 and the difference to a few ulps, and a confidence divided by
	// it came out above 1.
	logNone := 0.0
	for l, c := range conf {
		if !catchAll[l] {
			logNone += math.Log1p(-c)
		}
	}
	some := -math.Expm1(logNone)
	if some <= 0 {
		return // no label has any chance: nothing to condition on
	}
	for l := range conf {
		if !catchAll[l] {
			conf[l] = min(1, conf[l]/some)
		}
	}
}
