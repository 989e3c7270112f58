package eval

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// MultiReport is what a multi-label run is judged by (issue 24): the report at the
// threshold, how many lines get no label and how many labels a line gets against the gold,
// the calibration of each label's confidence, and the micro-F1 of the top-1 baseline.
type MultiReport struct {
	Report
	Threshold              float64
	NoLabel, GoldNoLabel   float64 // share of lines with no label: predicted, gold
	PerLine, GoldPerLine   float64 // labels per line: predicted, gold
	LabelECE, LabelECEMax  float64 // per-label ECE (mean, worst) over the labels with gold lines
	WorstECELabel          string
	TagECE                 float64 // ECE of the labels given at the threshold (is 0.3 right 30 % of the time)
	Top1MicroF1, Top1Macro float64 // every line gets only its best-scored label
}

// ScoreMulti scores multi-label items whose Scores hold every label's confidence (a run at
// threshold 0): a label is predicted when its confidence reaches threshold. A label's ECE is
// that of its confidence as the probability that the label is in a line's gold, over every
// line, 10 equal-width bins.
func ScoreMulti(labels []string, items []Item, failed int, threshold float64) MultiReport {
	at := make([]Item, len(items))
	top := make([]Item, len(items))
	r := MultiReport{Threshold: threshold}
	for i, it := range items {
		at[i] = Item{Gold: it.Gold, Pred: []string{}}
		top[i] = Item{Gold: it.Gold}
		best, bestScore := "", math.Inf(-1)
		for _, l := range labels { // label order: ties go to the first label
			c, ok := it.Scores[l]
			if !ok {
				continue
			}
			if c >= threshold {
				at[i].Pred = append(at[i].Pred, l)
			}
			if c > bestScore {
				best, bestScore = l, c
			}
		}
		if best != "" {
			top[i].Pred = []string{best}
		}
		if len(at[i].Pred) == 0 {
			r.NoLabel++
		}
		if len(it.Gold) == 0 {
			r.GoldNoLabel++
		}
		r.PerLine += float64(len(at[i].Pred))
		r.GoldPerLine += float64(len(it.Gold))
	}
	r.Report = Score("multi", labels, at, failed)
	t := Score("multi", labels, top, failed)
	r.Top1MicroF1, r.Top1Macro = t.MicroF1, t.MacroF1
	if n := float64(len(items)); n > 0 {
		r.NoLabel /= n
		r.GoldNoLabel /= n
		r.PerLine /= n
		r.GoldPerLine /= n
	}

	var tags calibration
	present := 0
	for _, l := range labels {
		var c calibration
		support := 0
		for _, it := range items {
			right := slices.Contains(it.Gold, l)
			if right {
				support++
			}
			p := it.Scores[l]
			c.add(p, right)
			if p >= threshold {
				tags.add(p, right)
			}
		}
		if support == 0 {
			continue
		}
		present++
		e := c.ece()
		r.LabelECE += e
		if e > r.LabelECEMax || r.WorstECELabel == "" {
			r.LabelECEMax, r.WorstECELabel = e, l
		}
	}
	if present > 0 {
		r.LabelECE /= float64(present)
	}
	r.TagECE = tags.ece()
	return r
}

// calibration accumulates confidences and outcomes in 10 equal-width bins.
type calibration struct {
	n, right [10]int
	sum      [10]float64
}

func (c *calibration) add(p float64, right bool) {
	b := min(max(int(p*10), 0), 9)
	c.n[b]++
	c.sum[b] += p
	if right {
		c.right[b]++
	}
}

// ece is the expected calibration error: the bins' |accuracy − mean confidence|, weighted
// by their counts.
func (c *calibration) ece() float64 {
	var e float64
	total := 0
	for b, n := range c.n {
		if n > 0 {
			e += math.Abs(float64(c.right[b]) - c.sum[b])
			total += n
		}
	}
	if total == 0 {
		return 0
	}
	return e / float64(total)
}

// WriteSummary prints one line for scripts (scripts/eval.sh's multi-label table):
// "micro_f1 macro_f1 top1_micro_f1 no_label gold_no_label per_line gold_per_line
// label_ece label_ece_max tag_ece lines".
func (r MultiReport) WriteSummary(w io.Writer) error {
	_, err := fmt.Fprintf(w, "%.4f %.4f %.4f %.4f %.4f %.3f %.3f %.4f %.4f %.4f %d\n", r.MicroF1, r.MacroF1, r.Top1MicroF1,
		r.NoLabel, r.GoldNoLabel, r.PerLine, r.GoldPerLine, r.LabelECE, r.LabelECEMax, r.TagECE, r.N)
	return err
}

// Write prints the report, then the multi-label measures.
func (r MultiReport) Write(w io.Writer, topConfusions int) error {
	if err := r.Report.Write(w, topConfusions); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nat threshold %.2f: lines with no label %.1f %% (gold %.1f %%), labels per line %.2f (gold %.2f)\n",
		r.Threshold, 100*r.NoLabel, 100*r.GoldNoLabel, r.PerLine, r.GoldPerLine)
	fmt.Fprintf(&b, "top-1 baseline (each line its best label): micro-F1 %.4f  macro-F1 %.4f\n", r.Top1MicroF1, r.Top1Macro)
	fmt.Fprintf(&b, "per-label ECE: mean %.4f, worst %.4f (%s); ECE of the labels given: %.4f\n",
		r.LabelECE, r.LabelECEMax, r.WorstECELabel, r.TagECE)
	_, err := io.WriteString(w, b.String())
	return err
}
