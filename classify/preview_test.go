package classify

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func previewSample(texts ...string) []SampleText {
	out := make([]SampleText, len(texts))
	for i, t := range texts {
		out[i] = SampleText{Index: int64(10 + 2*i), Text: t}
	}
	return out
}

var previewTickets = []string{
	"I was charged twice on my credit card, please refund the payment",
	"My invoice shows the wrong amount, I was overcharged",
	"Can I get a refund for last month's charge on my card",
	"The invoice for March is missing from my account billing page",
	"The app crashes every time I open it, error on startup",
	"I get an error message when I log in, the page freezes",
	"Server down again, the website is not loading at all",
	"The upload keeps failing with a timeout error",
	"What does the enterprise plan cost for 50 seats",
	"We want a demo and a pricing quote for our team",
	"Is there a discount if we buy licenses for the whole company",
	"Interested in purchasing the annual plan, who do I talk to",
}

// TestPreviewSummarises: counts add up to the sample, each listed text is the sample's own
// (index and text) with the confidence the fitted model gives it, examples are most
// confident first, borderline texts name their runner-up, keywords come from the label's
// texts, and a label no text gets is reported.
func TestPreviewSummarises(t *testing.T) {
	b := testBuiltin(t)
	spec := Spec{Labels: []string{"billing", "technical", "sales", "weather"}}
	sample := previewSample(previewTickets...)
	p, err := b.Preview(spec, sample)
	if err != nil {
		t.Fatal(err)
	}
	if p.SampleLines != len(sample) || len(p.Labels) != 4 {
		t.Fatalf("sample_lines %d, %d labels", p.SampleLines, len(p.Labels))
	}
	// What the run would answer: the fitted model on the same sample.
	texts := make([]string, len(sample))
	byIndex := map[int64]string{}
	for i, s := range sample {
		texts[i] = s.Text
		byIndex[s.Index] = s.Text
	}
	state, _ := b.Fit(spec, texts)
	m, _ := b.CompileFitted(spec, state)
	want := classifyAll(t, m, texts)
	wantCount := map[string]int{}
	conf := map[string]float64{}
	for i, r := range want {
		wantCount[r.Label]++
		conf[texts[i]] = r.Confidence
	}
	total := 0
	for _, pl := range p.Labels {
		total += pl.Count
		if pl.Count != wantCount[pl.Label] {
			t.Errorf("%s: count %d, the fitted model gives it %d texts", pl.Label, pl.Count, wantCount[pl.Label])
		}
		for k, e := range pl.Examples {
			if byIndex[e.Index] != e.Text {
				t.Errorf("%s: example %d is not the sample's text at index %d", pl.Label, k, e.Index)
			}
			if e.Confidence != conf[e.Text] {
				t.Errorf("%s: example %q confidence %v, the model's %v", pl.Label, e.Text, e.Confidence, conf[e.Text])
			}
			if k > 0 && e.Confidence > pl.Examples[k-1].Confidence {
				t.Errorf("%s: examples not most confident first", pl.Label)
			}
		}
		for _, e := range pl.Borderline {
			if e.RunnerUp == "" || e.RunnerUp == pl.Label {
				t.Errorf("%s: borderline %q has runner-up %q", pl.Label, e.Text, e.RunnerUp)
			}
		}
		if pl.Count >= 2 {
			var all strings.Builder
			for _, e := range pl.Examples {
				all.WriteString(strings.ToLower(e.Text) + " ")
			}
			for _, kw := range pl.Keywords {
				found := false
				for i, r := range want {
					found = found || r.Label == pl.Label && strings.Contains(strings.ToLower(texts[i]), kw)
				}
				if !found {
					t.Errorf("%s: keyword %q is in none of its texts", pl.Label, kw)
				}
			}
		}
	}
	if total != len(sample) {
		t.Fatalf("counts add to %d, sample has %d", total, len(sample))
	}
	if !hasWarning(p, WarnLabelUnused, "weather") {
		t.Errorf("no label_unused warning for weather: %+v", p.Warnings)
	}
	if hasWarning(p, WarnLabelUnused, "billing") {
		t.Errorf("billing reported unused: %+v", p.Warnings)
	}
}

// TestPreviewConfidenceIsTheJobs: with descriptions (the names reading, fitAgree) and a long
// text (fitLongText), the preview shows each text at the confidence the job would give it.
func TestPreviewConfidenceIsTheJobs(t *testing.T) {
	b := testBuiltin(t)
	spec := Spec{Labels: []string{"billing", "technical", "sales"}, Descriptions: map[string]string{
		"billing":   "Charges, invoices, refunds and payments.",
		"technical": "Errors, crashes and things that do not work.",
		"sales":     "Prices, quotes, plans and buying more.",
	}}
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	texts := append([]string{strings.Repeat("The app crashes with an error and the page freezes. ", 30)}, previewTickets...)
	p, err := b.Preview(spec, previewSample(texts...))
	if err != nil {
		t.Fatal(err)
	}
	state, _ := b.Fit(spec, texts)
	m, _ := b.CompileFitted(spec, state)
	conf := map[int64]float64{} // by the sample's index (a listed text may be cut)
	for i, r := range classifyAll(t, m, texts) {
		conf[int64(10+2*i)] = r.Confidence
	}
	n := 0
	for _, pl := range p.Labels {
		for _, e := range append(pl.Examples, pl.Borderline...) {
			n++
			if e.Confidence != conf[e.Index] {
				t.Errorf("%s: %.40q at %v in the preview, %v in the job", pl.Label, e.Text, e.Confidence, conf[e.Index])
			}
		}
	}
	if n == 0 {
		t.Fatal("the preview listed no text")
	}
}

// TestPreviewWarnings: one label taking nearly everything, two labels that read the same,
// and a sample the labels do not fit are each reported.
func TestPreviewWarnings(t *testing.T) {
	b := testBuiltin(t)
	var football []string
	for i := range 20 {
		football = append(football, fmt.Sprintf("The striker scored a goal in the football match, final score %d to 1", i%4))
	}
	p, err := b.Preview(Spec{Labels: []string{"sports", "cooking"}}, previewSample(football...))
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(p, WarnLabelDominant, "sports") {
		t.Errorf("no label_dominant warning for sports: %+v", p.Warnings)
	}
	same := Spec{Labels: []string{"x1", "x2", "sales"}, Descriptions: map[string]string{
		"x1": "questions about invoices, payments and refunds",
		"x2": "questions about invoices, payments and refunds",
	}}
	p, err = b.Preview(same, previewSample(previewTickets...))
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(p, WarnLabelsSimilar, "x1") || !hasWarning(p, WarnLabelsSimilar, "x2") || hasWarning(p, WarnLabelsSimilar, "sales") {
		t.Errorf("labels_similar should name x1 and x2 only: %+v", p.Warnings)
	}
	var many []string
	for i := range 30 {
		many = append(many, fmt.Sprintf("label%d", i))
	}
	p, err = b.Preview(Spec{Labels: many}, previewSample(previewTickets...))
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(p, WarnLowConfidence, "") {
		t.Errorf("30 meaningless labels: no low_confidence warning: %+v", p.Warnings)
	}
	p, err = b.Preview(Spec{Labels: []string{"billing", "technical", "sales"}}, previewSample(previewTickets...))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range p.Warnings {
		if w.Code == WarnLabelsSimilar || w.Code == WarnLabelDominant {
			t.Errorf("a sound spec got %+v", w)
		}
	}
}

func TestPreviewMulti(t *testing.T) {
	b := testBuiltin(t)
	p, err := b.Preview(Spec{Labels: []string{"billing", "technical"}, Mode: ModeMulti}, previewSample(previewTickets...))
	if err != nil {
		t.Fatal(err)
	}
	for _, pl := range p.Labels {
		if pl.Count > p.SampleLines || len(pl.Borderline) == 0 {
			t.Errorf("%s: count %d of %d, %d borderline", pl.Label, pl.Count, p.SampleLines, len(pl.Borderline))
		}
	}
	if _, err := b.Preview(Spec{Labels: []string{"a", "a"}}, nil); err == nil {
		t.Fatal("an invalid spec was previewed")
	}
}

func hasWarning(p *Preview, code, label string) bool {
	for _, w := range p.Warnings {
		if w.Code == code && (label == "" || slices.Contains(w.Labels, label)) {
			return true
		}
	}
	return false
}

// TestPreviewKeywordsSkipCommonWords: the commonest words of the language (SIF weight under
// one half) are never keywords, however much more often a label's texts use them.
func TestPreviewKeywordsSkipCommonWords(t *testing.T) {
	b := testBuiltin(t)
	texts := []string{
		"the invoice and the refund", "the refund for the invoice", "the invoice, the refund",
		"server crashes", "login error", "page freezes",
	}
	got := keywords(b.words, texts, func(i int) bool { return i < 3 })
	if !slices.Contains(got, "invoice") || !slices.Contains(got, "refund") {
		t.Fatalf("keywords %v, want invoice and refund", got)
	}
	for _, w := range []string{"the", "and", "for"} {
		if slices.Contains(got, w) {
			t.Errorf("keywords %v include %q", got, w)
		}
	}
}

// TestPreviewRareLabel (issue 24): a label few previewed lines get is reported label_rare, and
// only that one: 3,000 support tickets of which 15 are about the weather, tagged (multi mode)
// with "weather" among the labels. Without the storm texts (single mode) the fit finds weather
// absent: label_unused, not label_rare. A label with about an even share of many is not rare.
func TestPreviewRareLabel(t *testing.T) {
	b := testBuiltin(t)
	rows := supportTickets(3000)
	sample := make([]SampleText, len(rows))
	for i, r := range rows {
		sample[i] = SampleText{Index: int64(i), Text: r.Text}
	}
	storms := slices.Clone(sample)
	for i := range 15 {
		storms[i*200].Text = fmt.Sprintf("The storm and heavy rain knocked out the power in our town on day %d, the forecast says more snow is coming.", i)
	}
	spec := Spec{Labels: []string{"billing", "technical", "sales", "weather"}, Mode: ModeMulti}
	rareIn := func(p *Preview) [][]string {
		var out [][]string
		for _, w := range p.Warnings {
			if w.Code == WarnLabelRare {
				out = append(out, w.Labels)
			}
		}
		return out
	}
	p, err := b.Preview(spec, storms)
	if err != nil {
		t.Fatal(err)
	}
	if w := p.Labels[3]; w.Count == 0 || w.Share >= previewRare {
		t.Fatalf("weather gets %d of 3,000 lines, want a few (the storm texts)", w.Count)
	}
	if got := rareIn(p); len(got) != 1 || !slices.Equal(got[0], []string{"weather"}) || !hasWarning(p, WarnLabelRare, "weather") {
		t.Errorf("label_rare warnings for %v, want one for weather: %+v", got, p.Warnings)
	}
	if !strings.Contains(p.Warnings[slices.IndexFunc(p.Warnings, func(w PreviewWarning) bool { return w.Code == WarnLabelRare })].Message, `"weather"`) {
		t.Errorf("label_rare message does not name weather: %+v", p.Warnings)
	}
	for _, l := range p.Labels[:3] {
		if l.Share < previewRare {
			t.Fatalf("%s gets %d lines: the fixture needs the ticket labels common", l.Label, l.Count)
		}
	}

	spec.Mode = ModeSingle
	p, err = b.Preview(spec, sample)
	if err != nil {
		t.Fatal(err)
	}
	if !hasWarning(p, WarnLabelUnused, "weather") || len(rareIn(p)) != 0 {
		t.Errorf("without storm texts: warnings %+v, want label_unused for weather and no label_rare", p.Warnings)
	}

	for _, c := range []struct {
		count, lines, labels int
		rare                 bool
	}{
		{0, 3000, 4, false}, {15, 3000, 4, true}, {59, 3000, 4, true}, {60, 3000, 4, false},
		{20, 3000, 150, false}, {1, 3000, 150, true}, {1, 20, 4, false},
	} {
		if got := rareLabel(c.count, c.lines, c.labels); got != c.rare {
			t.Errorf("%d of %d lines, one of %d labels: rare %v, want %v", c.count, c.lines, c.labels, got, c.rare)
		}
	}
}
