// Package eval measures classification quality on labelled data: accuracy,
// macro-F1, per-label precision/recall/F1, confusions and the expected
// calibration error of the confidences (Score, Report), from a batch job's result
// lines (Results), with examples drawn from the labelled lines (DrawExamples), and
// the reference method to compare with (reference.go). The eval command
// (eval_cmd.go) only reads the files and runs the pipeline.
package eval

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
)

// Item is one scored line: the gold labels and what the classifier said.
// Single mode has one gold and one predicted label; multi mode has sets.
type Item struct {
	Gold       []string
	Pred       []string
	Confidence float64 // single mode: the predicted label's confidence
	// Scores (multi mode) are the confidences of the labels the run gave; ScoreMulti
	// applies a threshold to them.
	Scores map[string]float64
}

// LabelScore is one label's precision, recall and F1.
type LabelScore struct {
	Label                 string
	Support               int // gold occurrences
	Predicted             int // lines given the label
	Precision, Recall, F1 float64
}

// Report is the quality of a run.
type Report struct {
	Mode       string
	N          int     // lines scored
	Failed     int     // lines the classifier could not answer
	Accuracy   float64 // single: share right; multi: exact set match
	MacroF1    float64
	MicroF1    float64
	Labels     []LabelScore
	Confusions []Confusion // single mode: gold -> predicted counts, most frequent first
	ECE        float64     // single mode: expected calibration error, 10 equal-width bins
	Bins       []Bin
}

// Confusion counts the lines of gold label Gold predicted as Pred.
type Confusion struct {
	Gold, Pred string
	Count      int
}

// Bin is one confidence bin of the calibration table.
type Bin struct {
	Lo, Hi         float64
	Count          int
	MeanConfidence float64
	Accuracy       float64
}

// Score computes the report over items for the spec's labels.
func Score(mode string, labels []string, items []Item, failed int) Report {
	r := Report{Mode: mode, N: len(items), Failed: failed}
	tp := make(map[string]int, len(labels))
	fp := make(map[string]int, len(labels))
	fn := make(map[string]int, len(labels))
	conf := map[[2]string]int{}
	bins := make([]Bin, 10)
	for i := range bins {
		bins[i].Lo, bins[i].Hi = float64(i)/10, float64(i+1)/10
	}
	right := 0
	for _, it := range items {
		gold := set(it.Gold)
		pred := set(it.Pred)
		for l := range pred {
			if gold[l] {
				tp[l]++
			} else {
				fp[l]++
			}
		}
		for l := range gold {
			if !pred[l] {
				fn[l]++
			}
		}
		if sameSet(gold, pred) {
			right++
		}
		if mode != "multi" && len(it.Gold) == 1 && len(it.Pred) == 1 {
			if it.Gold[0] != it.Pred[0] {
				conf[[2]string{it.Gold[0], it.Pred[0]}]++
			}
			b := min(int(it.Confidence*10), 9)
			bins[b].Count++
			bins[b].MeanConfidence += it.Confidence
			if it.Gold[0] == it.Pred[0] {
				bins[b].Accuracy++
			}
		}
	}
	if r.N > 0 {
		r.Accuracy = float64(right) / float64(r.N)
	}
	// Macro-F1 is over the labels present in the gold lines (issue 11's definition): a label
	// with no gold line (all its lines went into a spec's examples, say) has no F1 to speak of,
	// and its wrong answers already cost the labels whose lines they were.
	var sumTP, sumFP, sumFN, present int
	for _, l := range labels {
		s := LabelScore{Label: l, Support: tp[l] + fn[l], Predicted: tp[l] + fp[l]}
		s.Precision = ratio(tp[l], tp[l]+fp[l])
		s.Recall = ratio(tp[l], tp[l]+fn[l])
		if s.Precision+s.Recall > 0 {
			s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
		}
		r.Labels = append(r.Labels, s)
		if s.Support > 0 {
			r.MacroF1 += s.F1
			present++
		}
		sumTP, sumFP, sumFN = sumTP+tp[l], sumFP+fp[l], sumFN+fn[l]
	}
	if present > 0 {
		r.MacroF1 /= float64(present)
	}
	if p, q := ratio(sumTP, sumTP+sumFP), ratio(sumTP, sumTP+sumFN); p+q > 0 {
		r.MicroF1 = 2 * p * q / (p + q)
	}
	if mode != "multi" {
		total := 0
		for i := range bins {
			b := &bins[i]
			if b.Count > 0 {
				b.MeanConfidence /= float64(b.Count)
				b.Accuracy /= float64(b.Count)
				r.ECE += float64(b.Count) * math.Abs(b.Accuracy-b.MeanConfidence)
				total += b.Count
			}
		}
		if total > 0 {
			r.ECE /= float64(total)
		}
		r.Bins = bins
		for k, n := range conf {
			r.Confusions = append(r.Confusions, Confusion{Gold: k[0], Pred: k[1], Count: n})
		}
		sort.Slice(r.Confusions, func(i, j int) bool {
			a, b := r.Confusions[i], r.Confusions[j]
			if a.Count != b.Count {
				return a.Count > b.Count
			}
			return a.Gold+"\x00"+a.Pred < b.Gold+"\x00"+b.Pred
		})
	}
	return r
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func set(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func sameSet(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// WriteSummary prints the report as one line, "macro_f1 accuracy ece lines", for scripts
// (scripts/eval.sh), followed by the share of the lines given each label of shareOf. A method
// whose answers have no confidence (the reference) has no ECE: it prints "-" in its place.
func (r Report) WriteSummary(w io.Writer, hasConfidence bool, shareOf ...string) error {
	ece := "-"
	if hasConfidence {
		ece = fmt.Sprintf("%.4f", r.ECE)
	}
	var shares strings.Builder
	for _, l := range shareOf {
		n := 0
		for _, s := range r.Labels {
			if s.Label == l {
				n = s.Predicted
			}
		}
		fmt.Fprintf(&shares, " %.4f", ratio(n, r.N))
	}
	_, err := fmt.Fprintf(w, "%.4f %.4f %s %d%s\n", r.MacroF1, r.Accuracy, ece, r.N, shares.String())
	return err
}

// Write prints the report as plain text: headline numbers, per-label scores,
// top confusions and the calibration table.
func (r Report) Write(w io.Writer, topConfusions int) error {
	var b strings.Builder
	fmt.Fprintf(&b, "mode %s, %d lines scored, %d failed\n", r.Mode, r.N, r.Failed)
	if r.Mode == "multi" {
		fmt.Fprintf(&b, "exact-match accuracy %.4f  macro-F1 %.4f  micro-F1 %.4f\n\n", r.Accuracy, r.MacroF1, r.MicroF1)
	} else {
		fmt.Fprintf(&b, "accuracy %.4f  macro-F1 %.4f  ECE %.4f\n\n", r.Accuracy, r.MacroF1, r.ECE)
	}
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "label\tsupport\tprecision\trecall\tF1\t")
	for _, s := range r.Labels {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\t%.4f\t\n", s.Label, s.Support, s.Precision, s.Recall, s.F1)
	}
	tw.Flush()
	if len(r.Confusions) > 0 {
		fmt.Fprintf(&b, "\ntop confusions (gold -> predicted)\n")
		for i, c := range r.Confusions {
			if i == topConfusions {
				break
			}
			fmt.Fprintf(&b, "  %6d  %s -> %s\n", c.Count, c.Gold, c.Pred)
		}
	}
	if r.Mode != "multi" {
		fmt.Fprintf(&b, "\ncalibration (confidence bin: lines, mean confidence, accuracy)\n")
		for _, bin := range r.Bins {
			if bin.Count == 0 {
				continue
			}
			fmt.Fprintf(&b, "  %.1f-%.1f  %6d  %.3f  %.3f\n", bin.Lo, bin.Hi, bin.Count, bin.MeanConfidence, bin.Accuracy)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
