package classify

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFitMixture: on logits drawn from two normal distributions (one text in ten from the
// higher), EM recovers the share and the posterior separates them; the posterior never falls
// as the logit rises.
func TestFitMixture(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var xs []float64
	for i := range 2000 {
		if i%10 == 0 {
			xs = append(xs, 6+1.5*rng.NormFloat64())
		} else {
			xs = append(xs, -2+2*rng.NormFloat64())
		}
	}
	m := fitMixture(xs)
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

// TestMultiFitCalibrated: a multi-label fit on a corpus calibrates each label (the state holds
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
	sample := fitSample(700)
	state, f := fitState(t, b, spec, sample)
	if len(f.calib) != len(spec.Labels) || f.calib[3] != (mixture{}) || f.calib[0] == (mixture{}) {
		t.Fatalf("calibration %+v: want one mixture per specific label, none for the catch-all", f.calib)
	}
	m, err := b.CompileFitted(spec, state)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"The striker scored twice and the team won the league.",
		"Parliament passed the new budget after a long debate.",
		"The weather was fine and we walked to the station.",
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
		if c, ok := got["other"]; ok && math.Abs(c-(1-best)) > 1e-3 {
			t.Fatalf("%q: catch-all %v, want 1 − %v", texts[i], c, best)
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
