package classify

import (
	"fmt"
	"testing"
)

// ~160-byte English lines, like support tickets and reviews.
var benchTexts = []string{
	"I was charged twice on my credit card this month and the invoice still shows the old plan, can you please refund the duplicate payment?",
	"The mobile app keeps crashing whenever I try to upload a photo larger than 5 MB; I've reinstalled it twice and it doesn't help at all.",
	"We're a team of 40 people and would like to know whether the enterprise plan includes single sign-on and priority support options.",
	"Absolutely loved the food here, the staff were friendly and the dessert was amazing, but the parking situation was a bit of a nightmare.",
}

func benchBytes() int64 {
	n := 0
	for _, s := range benchTexts {
		n += len(s)
	}
	return int64(n)
}

func BenchmarkTokenize(b *testing.B) {
	m := testBuiltin(b)
	b.SetBytes(benchBytes())
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range benchTexts {
			m.Tokens(s)
		}
	}
}

func BenchmarkEstimateTokens(b *testing.B) {
	lines := make([][]byte, len(benchTexts))
	for i, s := range benchTexts {
		lines[i] = fmt.Appendf(nil, `{"id":%d,"text":%q}`, i, s)
	}
	b.SetBytes(benchBytes())
	for b.Loop() {
		for _, l := range lines {
			EstimateTokens(l)
		}
	}
}

func benchClassify(b *testing.B, nLabels int, mode string) {
	labels := []string{"billing", "technical", "sales"}
	for i := len(labels); i < nLabels; i++ {
		labels = append(labels, fmt.Sprintf("topic %d", i))
	}
	m, err := testBuiltin(b).Compile(Spec{Labels: labels[:nLabels], Mode: mode})
	if err != nil {
		b.Fatal(err)
	}
	benchModel(b, m)
}

// benchModel classifies chunks of 256 texts, as the batch pipeline sends them, with m.
func benchModel(b *testing.B, m Model) {
	texts := make([]string, 256)
	var n int64
	for i := range texts {
		texts[i] = benchTexts[i%len(benchTexts)]
		n += int64(len(texts[i]))
	}
	out := make([]Result, len(texts))
	b.SetBytes(n)
	b.ReportAllocs()
	done := reportCPU(b, n)
	for b.Loop() {
		m.Classify(texts, out)
	}
	done()
}

func BenchmarkClassify3Labels(b *testing.B)       { benchClassify(b, 3, ModeSingle) }
func BenchmarkClassify50Labels(b *testing.B)      { benchClassify(b, 50, ModeSingle) }
func BenchmarkClassify200Labels(b *testing.B)     { benchClassify(b, 200, ModeSingle) }
func BenchmarkClassify50LabelsMulti(b *testing.B) { benchClassify(b, 50, ModeMulti) }

func BenchmarkNewBuiltin(b *testing.B) {
	for b.Loop() {
		if _, err := newBuiltin(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCompile is Compile of a real-time spec with 200 labels, without and with 8
// examples per label (the examples train the example head, head.go).
func BenchmarkCompile(b *testing.B) {
	for _, k := range []int{0, 8} {
		b.Run(fmt.Sprintf("200labels_%dexamples", k), func(b *testing.B) {
			spec := Spec{Examples: map[string][]string{}}
			for i := range 200 {
				label := fmt.Sprintf("topic %d", i)
				spec.Labels = append(spec.Labels, label)
				for j := range k {
					spec.Examples[label] = append(spec.Examples[label], fmt.Sprintf("%s %d", benchTexts[(i*k+j)%len(benchTexts)], i))
				}
			}
			bi := testBuiltin(b)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bi.Compile(spec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFit is the corpus fit of a batch job at its largest: a 4,000-text sample of
// realistic texts, 3 and 200 labels, and 200 in multi mode.
func BenchmarkFit(b *testing.B) {
	clf := testBuiltin(b)
	sample := make([]string, 4000)
	for i := range sample {
		sample[i] = benchTexts[i%len(benchTexts)]
	}
	for _, run := range []struct {
		nl   int
		mode string
	}{{3, ModeSingle}, {200, ModeSingle}, {200, ModeMulti}} {
		spec := Spec{Mode: run.mode}
		for i := range run.nl {
			spec.Labels = append(spec.Labels, fmt.Sprintf("topic %d %s", i, []string{"sports", "music", "law", "food", "war"}[i%5]))
		}
		name := fmt.Sprintf("%dlabels", run.nl)
		if run.mode == ModeMulti {
			name += "-multi" // with the multi-label calibration (multicalib.go)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := clf.Fit(spec, sample); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchClassifyFitted is benchClassify with a corpus fit, as a batch job classifies; described
// gives every label a description (the fit then also keeps the names reading, fitAgree).
func benchClassifyFitted(b *testing.B, nLabels int, described bool, mode string) {
	clf := testBuiltin(b)
	labels := []string{"billing", "technical", "sales"}
	for i := len(labels); i < nLabels; i++ {
		labels = append(labels, fmt.Sprintf("topic %d", i))
	}
	spec := Spec{Labels: labels[:nLabels], Mode: mode}
	if described {
		spec.Descriptions = map[string]string{}
		for _, l := range spec.Labels {
			spec.Descriptions[l] = "Messages about " + l + " and questions on it."
		}
	}
	texts := make([]string, 256)
	var n int64
	for i := range texts {
		texts[i] = benchTexts[i%len(benchTexts)]
		n += int64(len(texts[i]))
	}
	state, err := clf.Fit(spec, texts)
	if err != nil {
		b.Fatal(err)
	}
	m, err := clf.CompileFitted(spec, state)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]Result, len(texts))
	b.SetBytes(n)
	b.ReportAllocs()
	done := reportCPU(b, n)
	for b.Loop() {
		m.Classify(texts, out)
	}
	done()
}

func BenchmarkClassifyFitted3Labels(b *testing.B)   { benchClassifyFitted(b, 3, false, ModeSingle) }
func BenchmarkClassifyFitted50Labels(b *testing.B)  { benchClassifyFitted(b, 50, false, ModeSingle) }
func BenchmarkClassifyFitted200Labels(b *testing.B) { benchClassifyFitted(b, 200, false, ModeSingle) }
func BenchmarkClassifyFitted200LabelsDescribed(b *testing.B) {
	benchClassifyFitted(b, 200, true, ModeSingle)
}

// BenchmarkClassifyFitted50LabelsMulti: multi mode, with the calibration (multicalib.go).
func BenchmarkClassifyFitted50LabelsMulti(b *testing.B) { benchClassifyFitted(b, 50, false, ModeMulti) }

// BenchmarkPreview is a job's preview on a 1,000-line sample (issue 12: under 2 s at 50
// labels): the fit, classifying the sample, and the per-label summary.
func BenchmarkPreview(b *testing.B) {
	clf := testBuiltin(b)
	sample := make([]SampleText, 1000)
	for i := range sample {
		sample[i] = SampleText{Index: int64(i), Text: fmt.Sprintf("%s (ticket %d)", benchTexts[i%len(benchTexts)], i)}
	}
	for _, nl := range []int{3, 50} {
		spec := Spec{}
		for i := range nl {
			spec.Labels = append(spec.Labels, fmt.Sprintf("topic %d %s", i, []string{"billing", "technical", "sales", "food", "travel"}[i%5]))
		}
		b.Run(fmt.Sprintf("%dlabels", nl), func(b *testing.B) {
			for b.Loop() {
				if _, err := clf.Preview(spec, sample); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
