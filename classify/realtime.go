package classify

import (
	"math"
	"strings"

	"github.com/classer-ai/classer-batch/classify/internal/vec"
)

// Real-time scoring (DESIGN.md §4): what Compile builds and /v1/classify, /v1/tag and saved
// classifiers use. A batch job first fits itself to its own corpus and scores differently
// (fit.go); the two agree on most texts but not on every confidence (README says why).
//
// A text's vector is the SIF-weighted average of its known words' vectors (weight
// a/(a+p(w)), p(w) from the word's frequency rank by Zipf's law, punctuation 0), normalised to
// unit length. A label's prototype combines its name (every word weighted alike: label names
// are short and each word matters), its description and its glossary expansion (labels.go;
// at a lower weight when there is a description) and the centroid of its examples, each
// normalised, then normalised again.
//
// A text's score for a label is the calibrated cosine z = (cos − μ) / σ, where μ and σ are the
// mean and standard deviation of the label prototype's cosine with a random word of running
// text (wordvec's calibStats, WordVectors.Calibration). Raw cosines are biased by label: a generic name such as "sales"
// or "positive" is close to everything and wins texts it has nothing to do with, while a
// narrow one ("billing") never gets high cosines. This is contextual calibration (Zhao et
// al. 2021) with the vocabulary as the content-free input, plus a per-label scale: a label
// wins by standing out from its own background, not by being central. (The word vectors are
// also centred with their top principal components removed, in modelgen, which removes most
// of the shared "any text" direction in the first place.) Without a corpus this beats the
// centred cosine the batch fit uses (EVAL.md, "What was tried").
//
// A catch-all label ("other", "none", "not spam" next to "spam", ...; labels.go) has no topic
// of its own and cannot be scored by similarity: its score is a bar (plus the bias of the
// example head, if the spec has examples), catchAllZ for long texts and lower for short ones
// (catchAllBar), so it wins exactly when no specific label stands out that much. A complement
// with a description ("not spam": "A normal personal text message.") scores half that bar and
// half the z of its own prototype (complementBarShare).
//
// In single mode, a spec's examples also train a small logistic head on top of these scores
// (head.go), folded into the prototypes, so they cost nothing per text.
const (
	// Relative weights of the prototype parts. The name is the most reliable signal, but a
	// description is what a user writes to say what the name means: at 0.3 it barely moved
	// anything ("bugs, crashes, errors and outages" on "technical" still lost "The app
	// crashes …" to "sales"). At 0.45 such texts land right (TestDescriptionsSteer) and the
	// dev sets move little (batch eval, macro-F1 0.3 -> 0.45: uci_sentiment 0.651 -> 0.647,
	// fortunes 0.323 -> 0.334, reuters_grain 0.781 -> 0.770, spamassassin 0.524 -> 0.525);
	// Alone, above 0.45 the real-time (unfitted) uci_sentiment score fell under plain
	// cosine's 0.61; with the glossary expansion beside it (protoDescExpWeight) a heavier
	// description no longer costs it, and 1.2 is the leave-one-set-out choice (EVAL.md,
	// "What was tried").
	protoNameWeight = 1.0
	protoDescWeight = 1.2
	protoExWeight   = 1.0
	// protoExpWeight weighs a glossary expansion (labels.go), used when a label has no
	// description. It is a list of the words texts of the label use, not a sentence about
	// the label, and it carries the label's meaning where the name alone does not
	// ("technical": error, crash, not working, ...): as much as the name.
	protoExpWeight = 1.0
	// protoDescExpWeight weighs the glossary expansion of a label that has a description.
	// A description is a sentence about the label ("A tweet expressing sadness or grief"),
	// mostly words every description of the spec shares, and few of the words its texts
	// use; the expansion has those. Without it, descriptions made real-time answers worse
	// than names alone on half the dev sets (uci_sentiment 0.73 → 0.62, tweeteval_sentiment
	// 0.51 → 0.41). Kept small because the user's description stays the word on what the
	// label means where the two disagree (subjectivity: "objective" is plot summaries there,
	// not the glossary's reports and figures; at 0.5 it lost 0.02–0.1).
	protoDescExpWeight = 0.25

	// singleTemp is the softmax temperature over calibrated scores in single mode.
	// Competing labels' scores typically differ by 0.2..2; at 0.5 a difference of 1 gives
	// 88 % between two labels and ties give 1/n, so confidence grows with the margin
	// instead of saturating.
	singleTemp = 0.5

	// Multi mode: confidence = sigmoid((z - multiCenter) / multiScale) (the line's own
	// level may raise the centre: multiLineShare). A sentence whose cosine with a prototype
	// is 2 standard deviations above a random word's is a clear match (unrelated labels sit
	// around 0 ± 1), so it maps to 0.5; 0.5 per unit spreads z = 0.5..3.5 over 0.05..0.95.
	multiCenter = 2.0
	multiScale  = 0.5
	// A label's centre is raised to multiLineShare × the mean z of the text's other
	// specific labels + multiAboveLine: a label applies (0.5) only where it stands out from
	// the text's level on the others. A text's z rise and fall together on every label with
	// what does not say which label it has (its length, its kind: Reddit comments and plot
	// summaries stand 2 deviations above a random word on many labels at once, long news
	// articles on a short list's every label), as a batch fit's logits do (there the fit takes
	// the line's whole mean out, multicalib.go lineMean). The other labels' mean, not the
	// line's: with one label the line's mean is the label itself and with few mostly it
	// (a one-label spec then gave 1 of 100 texts about it, not 89). Without it /v1/tag gave
	// goemotions 6.3–7.3 labels a line, movie_genres 3.6–3.8 and reuters_grain_corn_multi
	// 0.70–0.75 (gold 1.16, 2.54, 0.095); with it 2.7–2.8, 2.7–3.6, 0.12–0.16. Both constants
	// by a grid over the three multi-label sets, names and descriptions (EVAL.md, "What was
	// tried"); the bar replaced an earlier one at the best label's z minus 1.
	multiLineShare = 0.7
	multiAboveLine = 1.5

	// catchAllZ is a catch-all label's constant score. Texts about a specific label reach
	// z = 3..8 against it (long texts higher), texts about something else stay below 3.
	// Measured on reuters_grain, the development set with a catch-all label: 3 → macro-F1
	// 0.68, 4 → 0.78, 5 → 0.79; 4 keeps recall for short texts.
	catchAllZ = 4.0

	// A catch-all's bar falls for short texts: min(catchAllZ, catchAllBarBase +
	// catchAllBarSlope·ln n + √(2 ln k)), n the text's effective number of words, (Σw)²/Σw²
	// over its known words' weights, and k the number of specific labels. A text's cosine with
	// the prototype of what it is about grows with the words it averages (the noise of single
	// words cancels), so a short text about a label reaches a lower z than a long one: with the
	// constant 4, "X / not X" sets of tweets, headlines and reviews (5–10 words) gave `not X`
	// to 60–90 % of the lines. With one specific label the bar reaches catchAllZ at about 35
	// words, so long texts (reuters_grain, spamassassin, where 4 was measured) keep it. √(2 ln k)
	// is about the expected maximum of k standard normal scores: the best of many labels
	// stands out by chance alone (clinc150's 150 intents next to "out of scope" keep 4).
	// Both constants by leave-one-set-out over the dev sets with a catch-all (EVAL.md, "What
	// was tried").
	catchAllBarBase  = 0.875
	catchAllBarSlope = 0.875

	// complementBarShare: a complement with a description ("not clickbait": "A plain news
	// headline that states what the article reports.", in single mode) scores half its bar,
	// half the z of its own prototype (name, description and glossary, built as a specific
	// label's). The bar alone knows only how strongly the text matches X, and many short
	// texts about X stay below it: "X / not X" sets of headlines, tweets and reviews gave
	// `not X` to most lines of X. The description says what `not X` texts look like, as the
	// reference reads it; alone (share 0) it wins those sets by 0.1–0.3 but loses the ones
	// whose `not X` description mostly repeats X's words ("without irony or sarcasm":
	// tweeteval_irony −0.13, spamassassin −0.03). The share by leave-one-set-out (EVAL.md,
	// "What was tried"). Without a description the name alone ("not" and X's words) is no
	// such evidence: read the same way it cost generated support tickets 154 of 1,800.
	complementBarShare = 0.5

	// minSigma bounds σ from below so a degenerate prototype cannot blow scores up.
	minSigma = 1e-3
)

type model struct {
	b      *WordClassifier
	labels []string
	protos []float32 // len(labels)*dims, unit rows (zero row if a label has no known word)
	// Per label: score = (cos - mu) * invSigma; catch-all labels score catchAllZ instead.
	mu       []float32
	invSigma []float32
	catchAll []bool
	// barShare is, per label, the share of its score that is the catch-all bar: 1 for a
	// catch-all, complementBarShare for a described complement, 0 for a specific label.
	barShare  []float32
	multi     bool
	threshold float64
	// anyCatchAll: some label is a catch-all, so Classify needs each text's word weights
	// (catchAllBar); barLabels is the bar's √(2 ln k) term.
	anyCatchAll bool
	barLabels   float64
	// protosT is protos transposed and padded for dotColsAVX2: dims rows of stride labels
	// (stride = len(labels) rounded up to 8, padding zero). Nil without AVX2.
	protosT []float32
	stride  int
	// fit, when set, replaces the scores above with what a batch job fitted on its corpus
	// (fit.go): classifyFitted.
	fit *fitted
}

// Compile builds the label prototypes for spec. It normalises a copy of spec first (defaults:
// mode single, threshold DefaultBatchThreshold), so it returns a *ValidationError for an
// invalid spec and never another error. A label whose name, description and examples have no
// word in the vocabulary gets a zero prototype: it scores 0 against every text.
func (b *WordClassifier) Compile(spec Spec) (Model, error) {
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		return nil, err
	}
	d := b.dims
	m := &model{
		b:         b,
		labels:    spec.Labels,
		protos:    make([]float32, len(spec.Labels)*d),
		mu:        make([]float32, len(spec.Labels)),
		invSigma:  make([]float32, len(spec.Labels)),
		catchAll:  make([]bool, len(spec.Labels)),
		multi:     spec.Mode == ModeMulti,
		threshold: *spec.Threshold,
	}
	read := b.w.Reader()
	part := make([]float32, d)
	ex := make([]float32, d)
	// Expansion gives none to a label with a description; bare asks for the one it would
	// have had without descriptions (protoDescExpWeight).
	bare := spec
	bare.Descriptions = nil
	for i, label := range spec.Labels {
		p := m.protos[i*d : (i+1)*d]
		if known(read(label, part, true, nil)) {
			vec.Axpy(p, protoNameWeight, part)
		}
		desc, w := spec.Descriptions[label], float32(protoDescWeight)
		if desc == "" {
			desc, w = strings.Join(Expansion(spec, label), ", "), protoExpWeight
		} else if e := Expansion(bare, label); e != nil && known(read(strings.Join(e, ", "), part, false, nil)) {
			vec.Axpy(p, protoDescExpWeight, part)
		}
		if desc != "" && known(read(desc, part, false, nil)) {
			vec.Axpy(p, w, part)
		}
		clear(ex)
		n := 0
		for _, e := range spec.Examples[label] {
			if known(read(e, part, false, nil)) {
				vec.Axpy(ex, 1, part)
				n++
			}
		}
		if n > 0 && vec.Normalize(ex) {
			vec.Axpy(p, protoExWeight, ex)
		}
		vec.Normalize(p)
		m.mu[i], m.invSigma[i] = b.calibrate(p)
	}
	m.catchAll = catchAlls(spec)
	k := 0 // specific labels
	for _, c := range m.catchAll {
		if !c {
			k++
		}
	}
	m.anyCatchAll = k < len(m.catchAll)
	if k > 1 {
		m.barLabels = math.Sqrt(2 * math.Log(float64(k)))
	}
	// A catch-all scores catchAllZ plus its example head's term (head.go), if any: its
	// prototype row holds only the head. A described complement keeps its prototype at the
	// weight 1 − complementBarShare (folded into invSigma, so the head's term stays whole).
	m.barShare = make([]float32, len(spec.Labels))
	described := describedComplements(spec)
	for i, c := range m.catchAll {
		switch {
		case !c:
		case described != nil && described[i] >= 0:
			m.barShare[i] = complementBarShare
			m.invSigma[i] *= 1 - complementBarShare
		default:
			m.barShare[i] = 1
			clear(m.protos[i*d : (i+1)*d])
			m.mu[i], m.invSigma[i] = 0, 1
		}
	}
	if !m.multi && len(spec.Examples) > 0 {
		m.exampleHead(read, spec)
	}
	if vec.UseAVX2 {
		nl := len(spec.Labels)
		m.stride = (nl + 7) &^ 7
		m.protosT = make([]float32, d*m.stride)
		for l := range nl {
			for j := range d {
				m.protosT[j*m.stride+l] = m.protos[l*d+j]
			}
		}
	}
	return m, nil
}

// calibrate returns the mean and the inverse standard deviation of p's cosine with a random
// word of running text (see WordVectors.Calibration). O(dims²): cheap enough for 200 labels per
// request. A zero prototype gets 0 and 1, so it keeps scoring 0.
func (b *WordClassifier) calibrate(p []float32) (mu, invSigma float32) {
	d := b.dims
	refMean, refMom := b.w.Calibration()
	var mean, mom float64
	for a := range d {
		pa := float64(p[a])
		mean += float64(refMean[a] * pa)
		row := refMom[a*d : a*d+d]
		var s float64
		for c := range d {
			s += float64(row[c] * float64(p[c]))
		}
		mom += float64(pa * s)
	}
	if mom == 0 {
		return 0, 1
	}
	sigma := math.Sqrt(max(mom-mean*mean, 0))
	return float32(mean), float32(1 / max(sigma, minSigma))
}

// Classify implements Model. It allocates scratch space once per call, not per text or token.
func (m *model) Classify(texts []string, out []Result) {
	d := m.b.dims
	nl := len(m.labels)
	if m.fit != nil {
		m.classifyFitted(texts, out)
		return
	}
	read := m.b.w.Reader()
	v := make([]float32, d)
	scores := make([]float32, nl)
	raw := make([]float32, m.stride)
	var rows *[]int32
	if m.anyCatchAll {
		rows = new([]int32)
	}
	for i, text := range texts {
		if rows != nil {
			*rows = (*rows)[:0]
		}
		known, tokens := read(text, v, false, rows)
		if known == 0 {
			out[i] = m.unknown(tokens)
			continue
		}
		m.score(v, scores, raw)
		bar := float32(catchAllZ)
		if rows != nil {
			bar = m.catchAllBar(*rows, scores)
		}
		if m.multi {
			out[i] = m.multiResult(scores, tokens, float64(bar))
		} else {
			out[i] = m.singleResult(scores, tokens)
		}
	}
}

// classifyFitted is Classify for a model with a corpus fit (fit.go).
func (m *model) classifyFitted(texts []string, out []Result) {
	read, wordRead := m.b.w.Reader(), m.b.wordReader()
	v := make([]float32, m.b.dims)
	logit := make([]float64, len(m.labels))
	sc := m.fit.scratch()
	var rows []int32
	for i, text := range texts {
		rows = rows[:0]
		known, tokens := m.b.vectorAndWords(read, wordRead, text, v, &rows)
		if known == 0 {
			out[i] = m.unknown(tokens)
			continue
		}
		m.fit.logits(v, rows, logit, sc)
		if m.multi {
			out[i] = m.fit.multiResult(m.labels, logit, m.threshold, tokens)
		} else {
			out[i] = m.fit.singleResult(m.labels, logit, tokens, m.fit.namesAnswer(sc))
		}
	}
}

// score writes the calibrated score of the unit text vector v for every label. Four
// labels are scored at once: four independent sums per pass over v instead of one long
// chain of dependent additions, so the CPU overlaps them. Each sum still adds the same
// float32 products in the same order as a plain dot product, so the scores are the same
// to the bit.
func (m *model) score(v []float32, scores, raw []float32) {
	d := len(v)
	nl := len(scores)
	l := 0
	if m.protosT != nil && d > 0 {
		// All labels at once, eight per vector lane (see dotColsAVX2).
		raw = raw[:m.stride]
		vec.DotColsAVX2(&v[0], &m.protosT[0], d, m.stride, &raw[0])
		for ; l < nl; l++ {
			scores[l] = float32((raw[l] - m.mu[l]) * m.invSigma[l])
		}
	}
	for ; l+4 <= nl; l += 4 {
		p0 := m.protos[l*d : l*d+d]
		p1 := m.protos[(l+1)*d : (l+1)*d+d]
		p2 := m.protos[(l+2)*d : (l+2)*d+d]
		p3 := m.protos[(l+3)*d : (l+3)*d+d]
		var s0, s1, s2, s3 float32
		for j, x := range v {
			s0 += float32(x * p0[j])
			s1 += float32(x * p1[j])
			s2 += float32(x * p2[j])
			s3 += float32(x * p3[j])
		}
		scores[l] = float32((s0 - m.mu[l]) * m.invSigma[l])
		scores[l+1] = float32((s1 - m.mu[l+1]) * m.invSigma[l+1])
		scores[l+2] = float32((s2 - m.mu[l+2]) * m.invSigma[l+2])
		scores[l+3] = float32((s3 - m.mu[l+3]) * m.invSigma[l+3])
	}
	for ; l < nl; l++ {
		p := m.protos[l*d : l*d+d]
		var s float32
		for j, x := range v {
			s += float32(x * p[j])
		}
		scores[l] = float32((s - m.mu[l]) * m.invSigma[l])
	}
	for l, w := range m.barShare {
		scores[l] += w * catchAllZ
	}
}

// catchAllBar returns the catch-all bar of a text whose known words are rows and moves the
// catch-all labels' scores (which score added catchAllZ to) to it.
func (m *model) catchAllBar(rows []int32, scores []float32) float32 {
	var s1, s2 float64
	for _, r := range rows {
		f, _ := m.b.w.Weights(r)
		s1 += float64(f)
		s2 += float64(f * f)
	}
	bar := float32(catchAllZ)
	if s2 > 0 {
		n := max(s1*s1/s2, 1)
		bar = float32(min(catchAllZ, catchAllBarBase+catchAllBarSlope*math.Log(n)+m.barLabels))
	}
	for l, w := range m.barShare {
		scores[l] += w * (bar - catchAllZ)
	}
	return bar
}

// unknown answers a text with no word in the vocabulary: every label is equally likely, so
// single mode picks the first label with confidence 1/n and multi mode returns no label.
func (m *model) unknown(tokens int) Result {
	if m.multi {
		return Result{Labels: []LabelScore{}, Tokens: tokens}
	}
	return Result{Label: m.labels[0], Confidence: Round4(1 / float64(len(m.labels))), Tokens: tokens}
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
	return Result{Label: m.labels[best], Confidence: Round4(1 / z), Tokens: tokens}
}

func (m *model) multiResult(scores []float32, tokens int, bar float64) Result {
	// A catch-all applies when no specific label stands out: its confidence is that of
	// "the best specific label stays below the catch-all's bar", on the multi mode's scale.
	best, sum, k := math.Inf(-1), 0.0, 0
	for l, s := range scores {
		if !m.catchAll[l] {
			best = max(best, float64(s))
			sum += float64(s)
			k++
		}
	}
	var labels []LabelScore
	for l, s := range scores {
		x := (bar - best) / multiScale
		if !m.catchAll[l] {
			centre := multiCenter
			if k > 1 {
				others := (sum - float64(s)) / float64(k-1)
				centre = max(centre, multiLineShare*others+multiAboveLine)
			}
			x = (float64(s) - centre) / multiScale
		}
		c := Round4(1 / (1 + math.Exp(-x)))
		if c >= m.threshold {
			labels = append(labels, LabelScore{Label: m.labels[l], Confidence: c})
		}
	}
	sortScores(labels)
	if labels == nil {
		labels = []LabelScore{}
	}
	return Result{Labels: labels, Tokens: tokens}
}

// Round4 rounds a confidence to the 4 decimals every answer shows.
func Round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

// context returns the unit vector of a spec's text_type (nil if it has no known word).
func (b *WordClassifier) context(read readFunc, textType string) []float32 {
	if textType == "" {
		return nil
	}
	c := make([]float32, b.dims)
	if !known(read(textType, c, false, nil)) {
		return nil
	}
	return c
}

// withoutContext removes from the unit prototype p its component along the unit context
// vector c (text_type) and normalises it again. The context is what every text of the job
// shares ("support tickets", "tweets"), so it cannot tell labels apart; what it takes out
// of a label is the part of the label's words that only says what kind of text it is
// ("A tweet expressing a negative feeling" is about the feeling, not about being a tweet).
func withoutContext(p, c []float32) {
	if c == nil {
		return
	}
	var s float32
	for j := range p {
		s += p[j] * c[j]
	}
	vec.Axpy(p, -s, c)
	vec.Normalize(p)
}
