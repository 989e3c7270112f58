package classify

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// twoNormals draws n logits, one in ten from N(mu1, sd1) and the rest from N(mu0, sd0).
func twoNormals(n int, mu1, sd1, mu0, sd0 float64) []float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, n)
	for i := range xs {
		if i%10 == 0 {
			xs[i] = mu1 + sd1*rng.NormFloat64()
		} else {
			xs[i] = mu0 + sd0*rng.NormFloat64()
		}
	}
	return xs
}

// overlapSample is a corpus whose labels overlap: ten words a text, a sixth of the texts each
// about sports, politics and cooking, but each word only one time in twenty from the topic's
// words and otherwise common words.
func overlapSample(n int) []string {
	topics := [][]string{
		{"striker", "goal", "team", "league", "match", "coach", "players", "season"},
		{"parliament", "election", "senator", "budget", "vote", "minister", "law", "government"},
		{"soup", "bake", "bread", "sauce", "salt", "oven", "recipe", "simmer"},
	}
	common := strings.Fields("the day people went home said time good city week new found old house road friend morning told")
	rng := rand.New(rand.NewPCG(3, 4))
	out := make([]string, n)
	for i := range out {
		w := make([]string, 10)
		for j := range w {
			if i%6 < 3 && rng.Float64() < 0.05 {
				w[j] = topics[i%6][rng.IntN(len(topics[i%6]))]
			} else {
				w[j] = common[rng.IntN(len(common))]
			}
		}
		out[i] = strings.Join(w, " ")
	}
	return out
}

// TestFitMixture: on logits drawn from two normal distributions (one text in ten from the
// higher), EM recovers the share and the posterior separates them; the posterior never falls
// as the logit rises.
func TestFitMixture(t *testing.T) {
	m := fitMixture(twoNormals(2000, 6, 1.5, -2, 2))
	if math.Abs(float64(m.pi)-0.1) > 0.02 || math.Abs(float64(m.mu1)-6) > 0.5 || math.Abs(float64(m.mu0)+2) > 0.3 {
		t.Fatalf("mixture %+v, want pi 0.1, mu1 6, mu0 -2", m)
	}
	if p := m.posterior(6); p < 0.95 {
		t.Fatalf("posterior at the applying texts' mean %v", p)
	}
	if p := m.posterior(-2); p > 0.01 {
		t.Fatalf("posterior at the other texts' mean %v", p)
	}
	last := -1.0
	for x := -40.0; x <= 40; x += 0.25 {
		p := m.posterior(x)
		if p < last {
			t.Fatalf("posterior falls at %v: %v after %v", x, p, last)
		}
		last = p
	}
}

// TestMultiFitCalibrated: a multi-label fit on a corpus whose labels overlap calibrates each label (the state holds
// a mixture per specific label), texts about a label get it at the batch threshold and a text
// about none of them gets none; a catch-all's confidence is that the likeliest specific label
// does not apply. A sample too small to estimate a mixture keeps the sigmoid.
func TestMultiFitCalibrated(t *testing.T) {
	b := testBuiltin(t)
	spec := fitSpec()
	spec.Mode = ModeMulti
	spec.Examples = nil
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	sample := overlapSample(700)
	state, f := fitState(t, b, spec, sample)
	if len(f.calib) != len(spec.Labels) || f.calib[3] != (mixture{}) || f.calib[0] == (mixture{}) || f.calib[1] == (mixture{}) || f.calib[2] == (mixture{}) {
		t.Fatalf("calibration %+v: want one mixture per specific label, none for the catch-all", f.calib)
	}
	m, err := b.CompileFitted(spec, state)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"The striker scored twice and the team won the league.",
		"Parliament passed the new budget after a long debate.",
		"The people went home in the morning and told a friend.", // like the corpus's other texts
	}
	want := []string{"sports", "politics", ""}
	res := classifyAll(t, m, texts)
	for i, r := range res {
		got := map[string]float64{}
		best := 0.0
		for _, l := range r.Labels {
			got[l.Label] = l.Confidence
			if l.Label != "other" {
				best = max(best, l.Confidence)
			}
		}
		if want[i] != "" && got[want[i]] < 0.3 {
			t.Fatalf("%q: %+v, want %s at 0.3 or more", texts[i], r.Labels, want[i])
		}
		if want[i] == "" && best > 0 {
			t.Fatalf("%q: %+v, want no specific label", texts[i], r.Labels)
		}
		// With no specific label shown, the likeliest one is under the threshold 0.3.
		if c := got["other"]; best > 0 && math.Abs(c-(1-best)) > 1e-3 || best == 0 && c < 0.7 {
			t.Fatalf("%q: catch-all %v, want 1 − %v (at least 0.7 with none shown)", texts[i], c, best)
		}
	}
	// The answers' confidences are the mixtures' posteriors (not the sigmoid of the logit).
	lg := make([]float64, len(spec.Labels))
	for l := range 3 {
		lg[l] = float64(f.calib[l].mu1)
	}
	conf := f.multiConfidences(lg)
	unlike := false
	for l := range 3 {
		want := Round4(f.calib[l].posterior(lg[l]))
		if conf[l] != want {
			t.Fatalf("%s: confidence %v at logit %v, want the posterior %v", spec.Labels[l], conf[l], lg[l], want)
		}
		unlike = unlike || want != Round4(1/(1+math.Exp(-lg[l])))
	}
	if !unlike {
		t.Fatalf("posteriors at %v are the sigmoid's: the check above proves nothing", lg)
	}
	if _, f := fitState(t, b, spec, sample[:multiCalibMinTexts-1]); f.calib != nil {
		t.Fatal("a sample under multiCalibMinTexts was calibrated")
	}
}

// TestCalibrateLabelSeparated: a label whose logits fall in two clearly separated groups on
// either side of 0 keeps the fixed sigmoid (the zero mixture); one whose groups overlap, or lie
// both below 0, gets its mixture. Fitted on a
// corpus whose labels stand apart, every answer is the sigmoid of the logit.
func TestCalibrateLabelSeparated(t *testing.T) {
	if m := calibrateLabel(twoNormals(2000, 6, 1.5, -2, 2)); m != (mixture{}) {
		t.Fatalf("separated groups (4.5 sd): calibration %+v, want the sigmoid", m)
	}
	if m := calibrateLabel(twoNormals(2000, 2, 1.5, -2, 2)); m == (mixture{}) || m.separation() > multiCalibMaxSep {
		t.Fatalf("overlapping groups (2.3 sd): calibration %+v, want a mixture", m)
	}
	// Separated, but both below logit 0: the sigmoid would give the label to none of its texts.
	if m := calibrateLabel(twoNormals(2000, -3, 1.5, -11, 2)); m == (mixture{}) || m.posterior(-3) < 0.95 {
		t.Fatalf("separated groups below 0: calibration %+v, want a mixture that gives the label", m)
	}
	if p := (mixture{}).prepare(); p.posterior(-0.5) != multiSigmoid(-0.5) {
		t.Fatalf("the zero mixture answers %v at -0.5, want the sigmoid %v", p.posterior(-0.5), multiSigmoid(-0.5))
	}

	b := testBuiltin(t)
	spec := fitSpec()
	spec.Mode = ModeMulti
	spec.Examples = nil
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	_, f := fitState(t, b, spec, fitSample(700))
	if len(f.calib) != len(spec.Labels) {
		t.Fatalf("calibration %+v: want one per label", f.calib)
	}
	for l := range 3 {
		if f.calib[l] != (mixture{}) {
			t.Fatalf("%s: calibration %+v on a clearly separated corpus, want the sigmoid", spec.Labels[l], f.calib[l])
		}
	}
	lg := []float64{-0.5, 1, -3, 0}
	for l, c := range f.multiConfidences(lg)[:3] {
		if c != Round4(multiSigmoid(lg[l])) {
			t.Fatalf("%s: confidence %v at logit %v, want the sigmoid's", spec.Labels[l], c, lg[l])
		}
	}
}

// coveredSample is a corpus every text of which is about two of sports, politics and cooking
// (in turn), but faintly: ten words a text, each one time in eight from one of its topics'
// words and otherwise common words, so that many texts show little sign of their topics.
func coveredSample(n int) []string {
	topics := [][]string{
		{"striker", "goal", "team", "league", "match", "coach", "players", "season"},
		{"parliament", "election", "senator", "budget", "vote", "minister", "law", "government"},
		{"soup", "bake", "bread", "sauce", "salt", "oven", "recipe", "simmer"},
	}
	common := strings.Fields("the day people went home said time good city week new found old house road friend morning told")
	rng := rand.New(rand.NewPCG(5, 6))
	out := make([]string, n)
	for i := range out {
		w := make([]string, 10)
		for j := range w {
			if rng.Float64() < 0.125 {
				k := (i + rng.IntN(2)) % 3
				w[j] = topics[k][rng.IntN(len(topics[k]))]
			} else {
				w[j] = common[rng.IntN(len(common))]
			}
		}
		out[i] = strings.Join(w, " ")
	}
	return out
}

// TestMultiFitExhaustive: a multi-label fit whose labels cover its corpus (every text is about
// one of them) conditions each text's confidences on its having at least one label, so far
// fewer texts end with none at the batch threshold than with each label priced alone; its
// answers are p / (1 − Π(1 − p)) of the unconditioned ones. The same labels with a catch-all,
// or over a corpus half of whose texts are about none of them, are not conditioned.
func TestMultiFitExhaustive(t *testing.T) {
	b := testBuiltin(t)
	spec := Spec{Labels: []string{"sports", "politics", "cooking"}, Mode: ModeMulti}
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	sample := coveredSample(900)
	state, f := fitState(t, b, spec, sample)
	if f.calib == nil || !f.exhaustive {
		t.Fatalf("covered corpus: calibrated %v, exhaustive %v, want both", f.calib != nil, f.exhaustive)
	}
	f.exhaustive = false
	alone, err := b.CompileFitted(spec, encodeFit(f))
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.CompileFitted(spec, state)
	if err != nil {
		t.Fatal(err)
	}
	noLabel := func(m Model) float64 {
		n := 0
		for _, r := range classifyAll(t, m, sample) {
			if len(r.Labels) == 0 {
				n++
			}
		}
		return float64(n) / float64(len(sample))
	}
	before, after := noLabel(alone), noLabel(m)
	t.Logf("texts with no label: %.3f priced alone, %.3f conditioned", before, after)
	if after > before-0.1 || after > 0.2 {
		t.Fatalf("texts with no label: %.3f conditioned, %.3f priced alone: want under 0.2 and 0.1 fewer", after, before)
	}
	lg := []float64{float64(f.calib[0].mu0), float64(f.calib[1].mu0), float64(f.calib[2].mu1)}
	p := make([]float64, 3)
	none := 1.0
	for l := range p {
		p[l] = f.prep[l].posterior(lg[l] - lineMean(lg)) // the fit is line-centred (TestMultiFitLineCentred)
		none *= 1 - p[l]
	}
	f.exhaustive = true
	for l, c := range f.multiConfidences(lg) {
		if want := Round4(p[l] / (1 - none)); c != want || c == Round4(p[l]) {
			t.Fatalf("%s: confidence %v, want %v / (1 − %v) = %v", spec.Labels[l], c, p[l], none, want)
		}
	}

	withOther := spec
	withOther.Labels = append(slices.Clone(spec.Labels), "other")
	if err := withOther.Normalize(DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	if _, f := fitState(t, b, withOther, sample); f.calib == nil || f.exhaustive {
		t.Fatalf("with a catch-all: calibrated %v, exhaustive %v, want calibrated only", f.calib != nil, f.exhaustive)
	}
	if _, f := fitState(t, b, spec, overlapSample(900)); f.calib == nil || f.exhaustive {
		t.Fatalf("half the texts about none of the labels: calibrated %v, exhaustive %v, want calibrated only", f.calib != nil, f.exhaustive)
	}
}

// lengthSample is a corpus every text of which is about one of sports, politics, cooking and
// music (in turn), about one word in eight from its topic and the rest common words, at
// lengths from 4 to 60 words: a text's logits rise and fall together with its length. It
// returns the texts and each one's topic.
func lengthSample(n int) ([]string, []int) {
	topics := [][]string{
		{"striker", "goal", "team", "league", "match", "coach", "players", "season"},
		{"parliament", "election", "senator", "budget", "vote", "minister", "law", "government"},
		{"soup", "bake", "bread", "sauce", "salt", "oven", "recipe", "simmer"},
		{"guitar", "song", "band", "album", "concert", "singer", "drums", "melody"},
	}
	common := strings.Fields("the day people went home said time good city week new found old house road friend morning told")
	rng := rand.New(rand.NewPCG(7, 8))
	out := make([]string, n)
	gold := make([]int, n)
	for i := range out {
		gold[i] = i % len(topics)
		w := make([]string, 4+rng.IntN(57))
		for j := range w {
			if rng.Float64() < 0.12 {
				w[j] = topics[gold[i]][rng.IntN(len(topics[gold[i]]))]
			} else {
				w[j] = common[rng.IntN(len(common))]
			}
		}
		out[i] = strings.Join(w, " ")
	}
	return out, gold
}

// TestMultiFitLineCentred: an exhaustive multi-label fit calibrates each label on its logit
// less the text's mean logit, so that what a text's logits share (here its length) does not
// decide its labels: on a corpus of one topic a text at lengths from 4 to 60 words, the
// shortest third gets its own topic (0.71 of them calibrated on the logits themselves) without
// collecting many labels (1.48 a text where a clearly separated label kept the fixed sigmoid,
// which on centred logits gives a text every label above its mean). A fit that is not
// exhaustive is not centred.
func TestMultiFitLineCentred(t *testing.T) {
	b := testBuiltin(t)
	spec := Spec{Labels: []string{"sports", "politics", "cooking", "music"}, Mode: ModeMulti}
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	sample, gold := lengthSample(1200)
	state, f := fitState(t, b, spec, sample)
	if !f.exhaustive || !f.lineCentred {
		t.Fatalf("exhaustive %v, line-centred %v: want both", f.exhaustive, f.lineCentred)
	}
	m, err := b.CompileFitted(spec, state)
	if err != nil {
		t.Fatal(err)
	}
	var n, labels, right float64
	for i, r := range classifyAll(t, m, sample) {
		if len(strings.Fields(sample[i])) >= 23 {
			continue // the shortest third: 4..22 words
		}
		n++
		labels += float64(len(r.Labels))
		for _, ls := range r.Labels {
			if ls.Label == spec.Labels[gold[i]] {
				right++
			}
		}
	}
	t.Logf("shortest third: %.0f texts, %.2f labels a text, its topic among them %.2f", n, labels/n, right/n)
	if right/n < 0.8 || labels/n > 1.3 {
		t.Fatalf("shortest third: topic among the labels %.2f, %.2f labels a text: want ≥ 0.8 and ≤ 1.3", right/n, labels/n)
	}
	if _, f := fitState(t, b, spec, overlapSample(900)); f.exhaustive || f.lineCentred {
		t.Fatalf("half the texts about none of the labels: exhaustive %v, line-centred %v, want neither", f.exhaustive, f.lineCentred)
	}
}

// TestAtLeastOneTinyConfidences: a text far below every label's texts has confidences near
// 1e-16; conditioned on having at least one label they must keep their ratio and stay
// probabilities (the plain product 1 − Π(1 − p) rounds to an ulp and gave 1.44).
func TestAtLeastOneTinyConfidences(t *testing.T) {
	for _, tc := range []struct{ in, want []float64 }{
		{[]float64{1.6e-16, 0, 0}, []float64{1, 0, 0}},
		{[]float64{1e-16, 3e-16, 0}, []float64{0.25, 0.75, 0}},
		{[]float64{0.5, 0.5, 0}, []float64{2.0 / 3, 2.0 / 3, 0}},
	} {
		got := slices.Clone(tc.in)
		atLeastOne(got, []bool{false, false, false})
		for i := range got {
			if math.Abs(got[i]-tc.want[i]) > 1e-9 {
				t.Errorf("atLeastOne(%v) = %v, want %v", tc.in, got, tc.want)
				break
			}
		}
	}
}
