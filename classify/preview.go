package classify

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Preview is what a spec does to a sample of texts (issue 12): per label how many texts it
// gets, the words that set those texts apart, its most confident and its borderline texts,
// and warnings about labels that are unused, dominant, alike, or read with low confidence.
// A batch job's preview runs on the job's own sample with the fit the job will use, so it
// shows what the run will do.
type Preview struct {
	SampleLines int              `json:"sample_lines"`
	Labels      []PreviewLabel   `json:"labels"`
	Warnings    []PreviewWarning `json:"warnings"`
}

// PreviewLabel is one label's part of a Preview. In multi mode Count is how many texts have
// the label (shares may sum to more than 1).
type PreviewLabel struct {
	Label          string        `json:"label"`
	Count          int           `json:"count"`
	Share          float64       `json:"share"`
	MeanConfidence float64       `json:"mean_confidence"`
	Keywords       []string      `json:"keywords"`
	Examples       []PreviewText `json:"examples"`
	Borderline     []PreviewText `json:"borderline"`
}

// PreviewText is a sample text with its input line number and its confidence for the label
// it is listed under; RunnerUp is the next best label (borderline texts).
type PreviewText struct {
	Index      int64   `json:"index"`
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence"`
	RunnerUp   string  `json:"runner_up,omitempty"`
}

// PreviewWarning is something in a preview a user should look at before starting.
type PreviewWarning struct {
	Code    string   `json:"code"`
	Message string   `json:"message"`
	Labels  []string `json:"labels"`
}

// Warning codes.
const (
	WarnLabelUnused   = "label_unused"
	WarnLabelRare     = "label_rare"
	WarnLabelDominant = "label_dominant"
	WarnLabelsSimilar = "labels_similar"
	WarnLowConfidence = "low_confidence"
)

const (
	previewKeywords   = 10
	previewTexts      = 5
	previewTextChars  = 500  // texts are cut to this many characters in a preview
	previewDominant   = 0.8  // a label with a larger share of the sample is dominant
	previewLowConf    = 0.5  // ... and a text below this confidence is a low-confidence one
	previewSimilarCos = 0.95 // two fitted prototypes this close are "nearly the same"
	// A label is rare when some but few previewed lines get it: under previewRare of them
	// (issue 24's bound for the share a label no line is about may take) and under
	// previewRareEven of an even share (1/labels), so that a spec of a hundred labels, each a
	// percent of the lines, is not all rare.
	previewRare     = 0.02
	previewRareEven = 0.1
	// previewPrior is the Dirichlet prior, in words, of the keyword scores (Monroe, Colaresi
	// & Quinn 2008, "Fightin' Words"): large enough that a word seen twice does not beat a
	// word seen fifty times, small beside a sample of thousands of texts.
	previewPrior = 500.0
)

// Preview fits spec on sample as a batch job would (Fit, CompileFitted), classifies every
// sample text with the fitted model and summarises the answers. It returns a
// *ValidationError for an invalid spec.
func (b *WordClassifier) Preview(spec Spec, sample []SampleText) (*Preview, error) {
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		return nil, err
	}
	return previewWith(context.Background(), b, spec, sample)
}

// previewWith is Preview over any vector source; spec must be normalized.
func previewWith(ctx context.Context, src VectorSource, spec Spec, sample []SampleText) (*Preview, error) {
	texts := make([]string, len(sample))
	for i, s := range sample {
		texts[i] = s.Text
	}
	state, err := fitWith(ctx, src, spec, texts)
	if err != nil {
		return nil, err
	}
	f, err := decodeFit(state)
	if err != nil {
		return nil, err
	}
	words := src.WordModel()
	f.compile(words)
	vecs, err := src.TextVectors(ctx, texts)
	if err != nil {
		return nil, err
	}
	multi := spec.Mode == ModeMulti
	threshold := *spec.Threshold
	nl := len(spec.Labels)
	p := &Preview{SampleLines: len(sample), Labels: make([]PreviewLabel, nl), Warnings: []PreviewWarning{}}
	for l, label := range spec.Labels {
		p.Labels[l] = PreviewLabel{Label: label, Keywords: []string{}, Examples: []PreviewText{}, Borderline: []PreviewText{}}
	}

	// Every text's answer: per label, its confidence and whether the text has the label; in
	// single mode also the runner-up and the margin to it.
	type answer struct {
		conf     []float64 // per label
		has      []bool
		best     int
		runnerUp int
		margin   float64
	}
	answers := make([]answer, len(sample))
	read := words.Reader()
	logit := make([]float64, nl)
	sc := f.scratch()
	var rows []int32
	low := 0
	for i, text := range texts {
		a := answer{conf: make([]float64, nl), has: make([]bool, nl), best: -1, runnerUp: -1}
		rows = rows[:0]
		if vecs[i] != nil {
			read(text, nil, false, &rows)
			f.logits(vecs[i], rows, logit, sc)
			if multi {
				a.conf = f.multiConfidences(logit)
				for l, c := range a.conf {
					a.has[l] = c >= threshold
				}
				a.best = argmax(a.conf)
			} else {
				probs := softmaxTemp(logit, f.textTemp(words.Tokens(text), argmax(logit), f.namesAnswer(sc)))
				copy(a.conf, probs)
				a.best = argmax(probs)
				a.has[a.best] = true
				for l := range probs {
					if l != a.best && (a.runnerUp < 0 || probs[l] > probs[a.runnerUp]) {
						a.runnerUp = l
					}
				}
				if a.runnerUp >= 0 {
					a.margin = probs[a.best] - probs[a.runnerUp]
				}
			}
		} else if !multi {
			// No known word: the model answers the first label at 1/n (Classify).
			a.best = 0
			a.has[0] = true
			for l := range a.conf {
				a.conf[l] = 1 / float64(nl)
			}
		}
		if a.best >= 0 && a.conf[a.best] < previewLowConf {
			low++
		}
		answers[i] = a
	}

	for l := range spec.Labels {
		pl := &p.Labels[l]
		var members []int
		var sum float64
		for i, a := range answers {
			if a.has[l] {
				members = append(members, i)
				sum += a.conf[l]
			}
		}
		pl.Count = len(members)
		if len(sample) > 0 {
			pl.Share = Round4(float64(pl.Count) / float64(len(sample)))
		}
		if pl.Count > 0 {
			pl.MeanConfidence = Round4(sum / float64(pl.Count))
		}
		// Most confident first; ties by line number, so the preview is deterministic.
		slices.SortStableFunc(members, func(x, y int) int {
			return cmp.Or(cmp.Compare(answers[y].conf[l], answers[x].conf[l]), cmp.Compare(sample[x].Index, sample[y].Index))
		})
		for _, i := range members[:min(previewTexts, len(members))] {
			pl.Examples = append(pl.Examples, PreviewText{Index: sample[i].Index, Text: Cut(texts[i], previewTextChars), Confidence: Round4(answers[i].conf[l])})
		}
		// Borderline: single mode, the smallest margin to the runner-up; multi mode, the
		// confidence nearest the threshold, on either side.
		var border []int
		if multi {
			for i := range answers {
				if answers[i].conf[l] > 0 {
					border = append(border, i)
				}
			}
			dist := func(i int) float64 { return math.Abs(answers[i].conf[l] - threshold) }
			slices.SortStableFunc(border, func(x, y int) int {
				return cmp.Or(cmp.Compare(dist(x), dist(y)), cmp.Compare(sample[x].Index, sample[y].Index))
			})
		} else {
			for _, i := range members {
				if answers[i].runnerUp >= 0 {
					border = append(border, i)
				}
			}
			slices.SortStableFunc(border, func(x, y int) int {
				return cmp.Or(cmp.Compare(answers[x].margin, answers[y].margin), cmp.Compare(sample[x].Index, sample[y].Index))
			})
		}
		for _, i := range border[:min(previewTexts, len(border))] {
			pt := PreviewText{Index: sample[i].Index, Text: Cut(texts[i], previewTextChars), Confidence: Round4(answers[i].conf[l])}
			if !multi {
				pt.RunnerUp = spec.Labels[answers[i].runnerUp]
			}
			pl.Borderline = append(pl.Borderline, pt)
		}
		pl.Keywords = keywords(words, texts, func(i int) bool { return answers[i].has[l] })
	}

	// Warnings.
	var unused []string
	for _, pl := range p.Labels {
		if pl.Count == 0 {
			unused = append(unused, pl.Label)
		}
	}
	if len(unused) > 0 && len(sample) > 0 {
		p.Warnings = append(p.Warnings, PreviewWarning{Code: WarnLabelUnused, Labels: unused,
			Message: fmt.Sprintf("no previewed line gets %s: describe what %s, add examples, or drop it", quoteList(unused), pronoun(unused))})
	}
	var rare []string
	for _, pl := range p.Labels {
		if rareLabel(pl.Count, len(sample), nl) {
			rare = append(rare, pl.Label)
		}
	}
	if len(rare) > 0 {
		p.Warnings = append(p.Warnings, PreviewWarning{Code: WarnLabelRare, Labels: rare,
			Message: fmt.Sprintf("only a few previewed lines get %s (under %.0f %% each): drop %s if no line is about %s, else check the lines listed under %s", quoteList(rare), 100*previewRare, them(rare), them(rare), them(rare))})
	}
	for _, pl := range p.Labels {
		if nl > 1 && pl.Share > previewDominant {
			p.Warnings = append(p.Warnings, PreviewWarning{Code: WarnLabelDominant, Labels: []string{pl.Label},
				Message: fmt.Sprintf("%q takes %.0f %% of the previewed lines: if that is not what you expect, the other labels may need descriptions or examples", pl.Label, 100*pl.Share)})
		}
	}
	for _, pair := range f.similar(previewSimilarCos) {
		names := []string{spec.Labels[pair[0]], spec.Labels[pair[1]]}
		p.Warnings = append(p.Warnings, PreviewWarning{Code: WarnLabelsSimilar, Labels: names,
			Message: fmt.Sprintf("%q and %q read almost the same to the model: give them descriptions that tell them apart, or examples", names[0], names[1])})
	}
	if len(sample) > 0 && 2*low > len(sample) {
		p.Warnings = append(p.Warnings, PreviewWarning{Code: WarnLowConfidence, Labels: []string{},
			Message: fmt.Sprintf("%d of %d previewed lines are answered with confidence under %.1f: the labels may not describe these texts, or be too close to each other; descriptions or examples help", low, len(sample), previewLowConf)})
	}
	return p, nil
}

// rareLabel reports whether a label that count of the previewed lines get, one of labels,
// is rare (previewRare).
func rareLabel(count, lines, labels int) bool {
	return count > 0 && float64(count) < float64(lines)*min(previewRare, previewRareEven/float64(labels))
}

// keywords returns up to previewKeywords words that most set the texts in the group apart
// from the rest: words in the model's vocabulary ranked by the z-score of their log-odds
// ratio with an informative Dirichlet prior (Monroe et al. 2008), which does not favour rare
// words (a word seen twice), times the word's SIF weight. A word must occur in at least two
// of the group's texts.
func keywords(words WordVectors, texts []string, in func(int) bool) []string {
	type counts struct{ in, out, docs int }
	c := map[int32]*counts{}
	var nIn, nOut float64
	read := words.Reader()
	seen := map[int32]bool{}
	var rows []int32
	for i, text := range texts {
		group := in(i)
		clear(seen)
		rows = rows[:0]
		read(text, nil, false, &rows)
		for _, row := range rows {
			// Skip the commonest words of the language (SIF weight under one half: about the
			// 70 most frequent, "the", "was", "for"): they say nothing about a label.
			if factor, scale := words.Weights(row); factor < scale/2 {
				continue
			}
			e := c[row]
			if e == nil {
				e = &counts{}
				c[row] = e
			}
			if group {
				e.in++
				nIn++
				if !seen[row] {
					e.docs++
				}
			} else {
				e.out++
				nOut++
			}
			seen[row] = true
		}
	}
	if nIn == 0 {
		return []string{}
	}
	total := nIn + nOut
	type scored struct {
		row int32
		z   float64
	}
	var ss []scored
	for row, e := range c {
		if e.docs < 2 {
			continue
		}
		a := previewPrior * float64(e.in+e.out) / total // the word's prior pseudo-count
		d := math.Log((float64(e.in)+a)/(nIn+previewPrior-float64(e.in)-a)) -
			math.Log((float64(e.out)+a)/(nOut+previewPrior-float64(e.out)-a))
		// Weighted by the word's SIF weight, as in a text's vector: the commonest words of the
		// language ("the", "was") say little however their counts fall.
		factor, scale := words.Weights(row)
		z := d / math.Sqrt(1/(float64(e.in)+a)+1/(float64(e.out)+a)) * float64(factor/scale)
		if z > 0 {
			ss = append(ss, scored{row, z})
		}
	}
	slices.SortFunc(ss, func(x, y scored) int { return cmp.Or(cmp.Compare(y.z, x.z), cmp.Compare(x.row, y.row)) })
	out := []string{}
	for _, s := range ss[:min(previewKeywords, len(ss))] {
		out = append(out, words.Word(s.row))
	}
	return out
}

// similar returns the pairs of specific labels whose fitted prototypes have a cosine of at
// least minCos (the prototypes are unit vectors).
func (f *fitted) similar(minCos float64) [][2]int {
	var out [][2]int
	d := f.d
	for a := range f.nl {
		for c := a + 1; c < f.nl; c++ {
			if f.catchAll[a] || f.catchAll[c] {
				continue
			}
			pa, pc := f.protos[a*d:(a+1)*d], f.protos[c*d:(c+1)*d]
			var s, na, nc float64
			for j := range pa {
				s += float64(pa[j] * pc[j])
				na += float64(pa[j] * pa[j])
				nc += float64(pc[j] * pc[j])
			}
			if na > 0 && nc > 0 && s/math.Sqrt(na*nc) >= minCos {
				out = append(out, [2]int{a, c})
			}
		}
	}
	return out
}

func softmaxTemp(logit []float64, temp float64) []float64 {
	p := make([]float64, len(logit))
	for l, x := range logit {
		p[l] = temp * x
	}
	posterior(p, false)
	return p
}

func argmax(xs []float64) int {
	if len(xs) == 0 {
		return 0
	}
	// The best value so far is kept in a register: reading xs[best] on each step made the
	// loop one dependent chain of loads (a job's scoring at 50 labels spent 2% of its time here).
	best, top := 0, xs[0]
	for i, x := range xs {
		if x > top {
			best, top = i, x
		}
	}
	return best
}

// Cut shortens s to at most n characters, marking the cut.
func Cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

func them(xs []string) string {
	if len(xs) == 1 {
		return "it"
	}
	return "them"
}

func pronoun(xs []string) string {
	if len(xs) == 1 {
		return "it means"
	}
	return "they mean"
}
