package classify

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

func fitSpec() Spec {
	return Spec{
		Labels: []string{"sports", "politics", "cooking", "other"},
		Descriptions: map[string]string{
			"sports":   "Games, teams and athletes.",
			"politics": "Elections, government and laws.",
			"other":    "Any other text.",
		},
		Examples: map[string][]string{"cooking": {"Stir the sauce and bake the bread for an hour."}},
	}
}

func fitSample(n int) []string {
	base := []string{
		"The striker scored twice and the team won the league.",
		"Parliament passed the new budget after a long debate.",
		"Add salt, simmer the soup and serve it hot.",
		"The weather was fine and we walked to the station.",
		"The senator lost the election by a few votes.",
		"Our goalkeeper saved a penalty in the final minute.",
		"zzzz qqqq", // no known word
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %d", base[i%len(base)], i%13)
	}
	return out
}

// fitState fits spec on sample and returns the state and its decoding.
func fitState(t *testing.T, b *WordClassifier, spec Spec, sample []string) ([]byte, *fitted) {
	t.Helper()
	state, err := b.Fit(spec, sample)
	if err != nil {
		t.Fatal(err)
	}
	f, err := decodeFit(state)
	if err != nil {
		t.Fatal(err)
	}
	return state, f
}

func classifyAll(t *testing.T, m Model, texts []string) []Result {
	t.Helper()
	out := make([]Result, len(texts))
	m.Classify(texts, out)
	return out
}

func TestFitDeterministic(t *testing.T) {
	b := testBuiltin(t)
	sample := fitSample(500)
	for _, mode := range []string{ModeSingle, ModeMulti} {
		spec := fitSpec()
		spec.Mode = mode
		s1, err := b.Fit(spec, sample)
		if err != nil {
			t.Fatal(err)
		}
		s2, err := b.Fit(spec, sample)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(s1, s2) {
			t.Fatalf("%s: same sample, different state", mode)
		}
		m1, err := b.CompileFitted(spec, s1)
		if err != nil {
			t.Fatal(err)
		}
		m2, err := b.CompileFitted(spec, append([]byte(nil), s2...))
		if err != nil {
			t.Fatal(err)
		}
		if r1, r2 := classifyAll(t, m1, sample), classifyAll(t, m2, sample); !reflect.DeepEqual(r1, r2) {
			t.Fatalf("%s: same state, different results", mode)
		}
	}
}

func TestFitNilStateIsCompile(t *testing.T) {
	b := testBuiltin(t)
	texts := fitSample(50)
	for _, mode := range []string{ModeSingle, ModeMulti} {
		spec := fitSpec()
		spec.Mode = mode
		mf, err := b.CompileFitted(spec, nil)
		if err != nil {
			t.Fatal(err)
		}
		mc, err := b.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		if r1, r2 := classifyAll(t, mf, texts), classifyAll(t, mc, texts); !reflect.DeepEqual(r1, r2) {
			t.Fatalf("%s: CompileFitted(nil) differs from Compile", mode)
		}
	}
}

func TestFitStateRoundTrip(t *testing.T) {
	b := testBuiltin(t)
	// fitSpec has examples; "described" drops them, so that its state also holds the names
	// reading (fitAgree).
	for _, mode := range []string{ModeSingle, ModeMulti, "described"} {
		spec := fitSpec()
		if mode == "described" {
			spec.Examples = nil
		} else {
			spec.Mode = mode
		}
		state, f := fitState(t, b, spec, fitSample(300))
		if (f.alt != nil) != (mode == "described") {
			t.Fatalf("%s: names reading in the state: %v", mode, f.alt != nil)
		}
		if len(f.words) == 0 || len(f.w) != len(f.words)*len(spec.Labels) {
			t.Fatalf("%s: the student's words are missing from the state (%d words, %d weights)", mode, len(f.words), len(f.w))
		}
		if again := encodeFit(f); !bytes.Equal(again, state) {
			t.Fatalf("%s: decode/encode changed the state", mode)
		}
		// Every truncation and a changed magic are refused, not misread.
		for _, n := range []int{0, 3, 10, len(state) / 2, len(state) - 1} {
			if _, err := b.CompileFitted(spec, state[:n]); err == nil {
				t.Fatalf("%s: truncated state (%d bytes) accepted", mode, n)
			}
		}
		bad := append([]byte("XXXX"), state[4:]...)
		if _, err := b.CompileFitted(spec, bad); err == nil {
			t.Fatalf("%s: bad magic accepted", mode)
		}
		// A state for another label set is refused.
		other := spec
		other.Labels = spec.Labels[:2]
		if _, err := b.CompileFitted(other, state); err == nil {
			t.Fatalf("%s: state for 4 labels accepted for 2", mode)
		}
	}
	// An empty sample still gives a usable state.
	state, err := b.Fit(fitSpec(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.CompileFitted(fitSpec(), state); err != nil {
		t.Fatal(err)
	}
}

// TestFitStateSize: at the limits (200 described labels, a 4,000-text sample of many distinct
// words) the state stays within what a job should store: the student's vocabulary is cut so
// that words × labels ≤ fitMaxWeights. The fit's time is measured by BenchmarkFit.
func TestFitStateSize(t *testing.T) {
	b := testBuiltin(t)
	spec := Spec{Descriptions: map[string]string{}}
	for i := range MaxLabels {
		label := fmt.Sprintf("topic %d %s", i, []string{"sports", "music", "law", "food", "war"}[i%5])
		spec.Labels = append(spec.Labels, label)
		spec.Descriptions[label] = "Texts about " + label
	}
	sample := make([]string, 4000)
	for i := range sample {
		// Every text repeats words of a 30,000-word window, so thousands of words reach fitMinDF.
		var sb strings.Builder
		for k := range 12 {
			sb.WriteString(b.w.Word(int32(1000 + (i*7+k*2503)%30000)))
			sb.WriteByte(' ')
		}
		sample[i] = sb.String()
	}
	state, f := fitState(t, b, spec, sample)
	// centre, prototypes and the names reading, label scales, catch-alls, words and weights.
	max := 4 + 16 + 4*(b.dims*(2*MaxLabels+1)+2*MaxLabels) + MaxLabels + fitMaxWeights + fitMaxWeights/MaxLabels*16
	t.Logf("state %d bytes, %d student words", len(state), len(f.words))
	if len(f.words)*MaxLabels > fitMaxWeights || len(state) > max {
		t.Errorf("state %d bytes with %d words × %d labels: over the bound (%d bytes, %d weights)", len(state), len(f.words), MaxLabels, max, fitMaxWeights)
	}
	if len(f.words) < 1000 {
		t.Errorf("only %d student words: the sample should give thousands", len(f.words))
	}
}

// TestFitCatchAllAndComplement: "other" and "not spam" (next to "spam") are scored as
// catch-alls, so a text that matches no specific label well goes to them.
func TestFitCatchAllAndComplement(t *testing.T) {
	b := testBuiltin(t)
	for _, tc := range []struct {
		labels []string
		catch  []bool
	}{
		{[]string{"spam", "not spam"}, []bool{false, true}},
		{[]string{"toxic", "non-toxic"}, []bool{false, true}},
		{[]string{"sports", "other"}, []bool{false, true}},
		{[]string{"other", "none"}, []bool{false, false}}, // all catch-alls: none is
		{[]string{"spam", "ham"}, []bool{false, false}},
	} {
		if got := catchAlls(Spec{Labels: tc.labels}); !reflect.DeepEqual(got, tc.catch) {
			t.Errorf("%v: catch-alls %v, want %v", tc.labels, got, tc.catch)
		}
	}
	spec := Spec{Labels: []string{"spam", "not spam"}}
	sample := []string{
		"WINNER! Claim your free prize now, click here to win cash",
		"Free entry to win a brand new phone, text WIN to claim",
		"Are we still meeting for lunch tomorrow?",
		"Can you pick up milk on the way home",
		"I'll call you when I get to the station",
		"Thanks for dinner last night, it was lovely",
	}
	state, err := b.Fit(spec, sample)
	if err != nil {
		t.Fatal(err)
	}
	m, err := b.CompileFitted(spec, state)
	if err != nil {
		t.Fatal(err)
	}
	out := classifyAll(t, m, []string{"Congratulations, you have won a free cash prize! Click to claim", "See you at the station at six"})
	if out[0].Label != "spam" || out[1].Label != "not spam" {
		t.Errorf("got %q and %q, want spam and not spam", out[0].Label, out[1].Label)
	}
}

// TestFitImprovesQuality fits on each development set's own texts (as a batch job does, on
// a sample of at most 4,000) and requires the fitted model to beat the zero-shot one.
func TestFitImprovesQuality(t *testing.T) {
	b := testBuiltin(t)
	// Floors a little under the fitted macro-F1 that EVAL.md reports for the job.json as
	// written (the reference method: 0.615, 0.357, 0.477, 0.572, 0.812, 0.776, 0.470). The
	// intent sets' floors (bitext_support_categories, snips, clinc150) are over what the fit
	// gives without refinement (0.922, 0.910, 0.542); clinc150's (0.584) and atis names only
	// (0.288; the reference 0.286, issue 11's bar 0.276) are over what it gives with every
	// sample text counting fully in the student (fitSureExp 0: 0.565, 0.265).
	cases := []struct {
		name      string
		namesOnly bool
		floor     float64
	}{{"uci_sentiment", false, 0.60}, {"fortunes", false, 0.36}, {"spamassassin", false, 0.66},
		{"reuters_grain", false, 0.72}, {"bitext_support_categories", false, 0.93}, {"snips", false, 0.925},
		{"clinc150", false, 0.575}, {"atis", true, 0.276}}
	for _, c := range cases {
		name := c.name
		spec, rows := loadDataset(t, name)
		if c.namesOnly {
			spec.Descriptions, spec.Examples = nil, nil
		}
		if err := spec.Normalize(DefaultBatchThreshold); err != nil {
			t.Fatal(err)
		}
		texts := make([]string, len(rows))
		for i, r := range rows {
			texts[i] = r.Text
		}
		sample := texts[:min(len(texts), 4000)]
		state, err := b.Fit(spec, sample)
		if err != nil {
			t.Fatal(err)
		}
		fitted, err := b.CompileFitted(spec, state)
		if err != nil {
			t.Fatal(err)
		}
		plain, err := b.Compile(spec)
		if err != nil {
			t.Fatal(err)
		}
		f0 := modelF1(spec, rows, classifyAll(t, plain, texts))
		f1 := modelF1(spec, rows, classifyAll(t, fitted, texts))
		t.Logf("%s: macro-F1 zero-shot %.4f, fitted %.4f (state %d bytes)", name, f0, f1, len(state))
		if f1 < c.floor {
			t.Errorf("%s (names only %v): fitted macro-F1 %.4f < %.3f", name, c.namesOnly, f1, c.floor)
		}
	}
}

func modelF1(spec Spec, rows []labelled, out []Result) float64 {
	tp := make([]int, len(spec.Labels))
	fp := make([]int, len(spec.Labels))
	fn := make([]int, len(spec.Labels))
	idx := func(l string) int {
		for i, x := range spec.Labels {
			if x == l {
				return i
			}
		}
		return -1
	}
	for i, r := range rows {
		g, p := idx(r.Label), idx(out[i].Label)
		if g == p {
			tp[g]++
			continue
		}
		if p >= 0 {
			fp[p]++
		}
		if g >= 0 {
			fn[g]++
		}
	}
	var f1 float64
	for l := range spec.Labels {
		p := float64(tp[l]) / max(1, float64(tp[l]+fp[l]))
		rc := float64(tp[l]) / max(1, float64(tp[l]+fn[l]))
		if p+rc > 0 {
			f1 += 2 * p * rc / (p + rc)
		}
	}
	return f1 / float64(len(spec.Labels))
}

// TestFitRefine: refinement adds to a specific label's prototype its posterior-weighted
// centroid, weighted n/(n+fitCentreTexts) for n texts, and leaves catch-alls and labels with no
// prototype alone.
func TestFitRefine(t *testing.T) {
	f := &fitted{nl: 3, d: 2, centre: []float32{0, 0}, catchAll: []bool{false, false, true},
		protos: []float32{1, 0, 0, 0, 0, 0}}
	var rs []fitRow
	var post [][]float64
	for range fitCentreTexts {
		rs = append(rs, fitRow{v: []float32{0, 1}})
		post = append(post, []float64{1, 0, 0})
	}
	rs = append(rs, fitRow{v: []float32{1, 0}}, fitRow{v: []float32{1, 0}})
	post = append(post, []float64{0, 0.5, 0.5}, []float64{0, 0, 1})
	f.refine(rs, post)
	// 20 texts at (0,1): weight 20/(20+20) = 0.5, so (1,0) + 0.5·(0,1), normalised.
	want := []float32{float32(2 / math.Sqrt(5)), float32(1 / math.Sqrt(5)), 0, 0, 0, 0}
	for j, x := range f.protos {
		if math.Abs(float64(x-want[j])) > 1e-6 {
			t.Fatalf("protos after refine = %v, want %v", f.protos, want)
		}
	}
}

// TestFitLongTextConfidence: past fitLongText tokens a text's confidence is tempered by
// (fitLongText/tokens)^fitLongExp; the answer stays the same.
func TestFitLongTextConfidence(t *testing.T) {
	f := &fitted{temp: 0.2}
	labels := []string{"a", "b"}
	logit := []float64{10, 0}
	short := f.singleResult(labels, logit, fitLongText, -1)
	long := f.singleResult(labels, logit, 16*fitLongText, -1)
	want := Round4(1 / (1 + math.Exp(-0.2*10*math.Pow(1.0/16, fitLongExp))))
	if short.Label != "a" || long.Label != "a" {
		t.Fatalf("labels %q / %q, want a for both", short.Label, long.Label)
	}
	if short.Confidence != Round4(1/(1+math.Exp(-2))) || long.Confidence != want {
		t.Fatalf("confidence %v at %d tokens and %v at %d, want %v and %v",
			short.Confidence, fitLongText, long.Confidence, 16*fitLongText, Round4(1/(1+math.Exp(-2))), want)
	}
}

// TestFitNamesReadingRaisesConfidenceOnly: with descriptions, a text whose label the names
// alone would also give gets a surer confidence (fitAgree); no answer changes, so a
// description that reads a name otherwise than the glossary still decides the label.
func TestFitNamesReadingRaisesConfidenceOnly(t *testing.T) {
	b := testBuiltin(t)
	sample := fitSample(14) // twice each: the student's words need 3 texts, so it stays out
	for _, swapped := range []bool{false, true} {
		spec := Spec{Labels: []string{"sports", "politics", "cooking"}, Descriptions: map[string]string{
			"sports":   "Games, teams and athletes.",
			"politics": "Elections, government and laws.",
			"cooking":  "Recipes, food and kitchens.",
		}}
		if swapped { // descriptions that contradict the names
			spec.Descriptions["sports"], spec.Descriptions["politics"] = spec.Descriptions["politics"], spec.Descriptions["sports"]
		}
		if err := spec.Normalize(DefaultBatchThreshold); err != nil {
			t.Fatal(err)
		}
		state, f := fitState(t, b, spec, sample)
		if f.alt == nil {
			t.Fatal("a described spec's state has no names reading")
		}
		f.alt = nil
		with, err := b.CompileFitted(spec, state)
		if err != nil {
			t.Fatal(err)
		}
		without, err := b.CompileFitted(spec, encodeFit(f))
		if err != nil {
			t.Fatal(err)
		}
		texts := sample[:6] // striker, parliament, soup, weather, senator, goalkeeper
		got, base := classifyAll(t, with, texts), classifyAll(t, without, texts)
		sportsAs := map[bool]string{false: "sports", true: "politics"}[swapped]
		if got[0].Label != sportsAs || got[5].Label != sportsAs {
			t.Fatalf("swapped=%v: sports texts went to %q and %q, want %q (the description decides)", swapped, got[0].Label, got[5].Label, sportsAs)
		}
		for i := range texts {
			if got[i].Label != base[i].Label {
				t.Fatalf("swapped=%v: %q is %q with the names reading and %q without", swapped, texts[i], got[i].Label, base[i].Label)
			}
			// The names reading says sports for the striker and the goalkeeper, politics for
			// parliament and the senator: it agrees with the fit unless the descriptions swap.
			agrees := i == 2 || !swapped
			if i == 3 {
				continue // the weather text: no label of its own
			}
			if agrees && !(got[i].Confidence > base[i].Confidence) || !agrees && got[i].Confidence != base[i].Confidence {
				t.Fatalf("swapped=%v: %q confidence %v with the names reading, %v without (agrees: %v)",
					swapped, texts[i], got[i].Confidence, base[i].Confidence, agrees)
			}
		}
	}
}

// TestStudentWeights: a sample text counts in the student by its teacher's top posterior to
// the power fitSureExp, the sample's weights averaging 1; an example counts fitExampleWeight,
// and in multi mode every sample text counts 1.
func TestStudentWeights(t *testing.T) {
	rs := []fitRow{{label: -1}, {label: -1}, {label: 0}}
	q := [][]float64{{1, 0}, {0.5, 0.5}, {1, 0}}
	w := studentWeights(rs, q, false)
	if r := w[0] / w[1]; math.Abs(r-math.Pow(2, fitSureExp)) > 1e-9 {
		t.Errorf("sure / unsure text weight %v, want 2^%v", r, fitSureExp)
	}
	if m := (w[0] + w[1]) / 2; math.Abs(m-1) > 1e-9 || w[2] != fitExampleWeight {
		t.Errorf("weights %v: sample mean %v, want 1; example %v, want %v", w, m, w[2], fitExampleWeight)
	}
	if w := studentWeights(rs, q, true); w[0] != 1 || w[1] != 1 {
		t.Errorf("multi mode weights %v, want 1 for sample texts", w)
	}
}
