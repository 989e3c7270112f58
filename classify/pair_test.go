package classify

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"testing"
)

// urgentTickets returns n tickets of which share are urgent (gold "urgent", else "not urgent"),
// from a few templates numbered apart.
func urgentTickets(n int, share float64) (texts, gold []string) {
	urgent := []string{"The server is down and no customer can log in, fix it now", "Production outage: checkout fails for every user, we are losing orders", "Emergency: the database crashed and the site is offline", "Critical bug, payments are failing right now for all customers", "Our whole team is blocked, the app will not start since this morning", "Data loss in progress, the sync deletes files, please stop it immediately"}
	calm := []string{"When you have time, could you update the logo on the about page", "Small suggestion: the footer font could be a bit larger someday", "No rush, but a dark mode would be nice in a future release", "Just a note that a typo is on the pricing page, whenever convenient", "Could you add our new office address to the invoice template next month", "A minor idea for later: sort the reports by name"}
	for i := range n {
		if float64(i%10) < share*10 {
			texts = append(texts, fmt.Sprintf("%s (ticket %d)", urgent[i%len(urgent)], i))
			gold = append(gold, "urgent")
		} else {
			texts = append(texts, fmt.Sprintf("%s (ticket %d)", calm[i%len(calm)], i))
			gold = append(gold, "not urgent")
		}
	}
	return texts, gold
}

// TestFitReadsDescribedComplement (issue 24): with "urgent" and a described "not urgent", the
// fit reads the complement as a catch-all or by its description within the pair, whichever
// the corpus's words separate better (fitPairGain), so that the answer does not depend on
// "not urgent" being the large side. On 1,000 tickets at 20 / 50 / 80 % urgent, the job gets
// as many right as the better of the two readings, and at 50 and 80 % more than the catch-all
// reading alone (which puts most urgent tickets under "not urgent" once they are the majority).
// The state keeps the reading (it encodes and decodes to the same bytes).
func TestFitReadsDescribedComplement(t *testing.T) {
	b := testBuiltin(t)
	spec := Spec{Labels: []string{"urgent", "not urgent"}, Descriptions: map[string]string{
		"urgent":     "Something is broken or blocked and needs fixing right away.",
		"not urgent": "A request or suggestion that can wait.",
	}}
	if err := spec.Normalize(DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	right := func(state []byte, texts, gold []string) int {
		t.Helper()
		m, err := b.CompileFitted(spec, state)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for i, r := range classifyAll(t, m, texts) {
			if r.Label == gold[i] {
				n++
			}
		}
		return n
	}
	for _, share := range []float64{0.2, 0.5, 0.8} {
		texts, gold := urgentTickets(1000, share)
		state, err := b.Fit(spec, texts)
		if err != nil {
			t.Fatal(err)
		}
		f, err := decodeFit(state)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(encodeFit(f), state) {
			t.Errorf("%.0f %% urgent: the state does not encode back to its bytes", 100*share)
		}
		catch, _, err := fitRun(context.Background(), b, spec, texts, nil)
		if err != nil {
			t.Fatal(err)
		}
		pair, _, err := fitRun(context.Background(), b, spec, texts, describedComplements(spec))
		if err != nil {
			t.Fatal(err)
		}
		job, asCatch, asPair := right(state, texts, gold), right(encodeFit(catch), texts, gold), right(encodeFit(pair), texts, gold)
		t.Logf("%.0f %% urgent: %d right (catch-all reading %d, pair reading %d)", 100*share, job, asCatch, asPair)
		if job < max(asCatch, asPair) {
			t.Errorf("%.0f %% urgent: %d of 1,000 right, the better reading gets %d (catch-all %d, pair %d)", 100*share, job, max(asCatch, asPair), asCatch, asPair)
		}
		if share >= 0.5 && job <= asCatch {
			t.Errorf("%.0f %% urgent: %d right, no more than the catch-all reading's %d", 100*share, job, asCatch)
		}
	}
}

// TestPairScores: against the other labels a pair scores as with its complement a catch-all
// (the better of X's cosine and fitCatchScore); within it the lower cosine loses the difference.
func TestPairScores(t *testing.T) {
	for _, c := range []struct{ cx, cc, sx, sc float64 }{
		{0.1, 0.3, fitCatchScore - 0.2, fitCatchScore},
		{0.3, 0.1, fitCatchScore, fitCatchScore - 0.2},
		{0.6, 0.2, 0.6, 0.2},
		{0.2, 0.7, fitCatchScore - 0.5, fitCatchScore},
	} {
		sx, sc := pairScores(c.cx, c.cc)
		if d := max(math.Abs(sx-c.sx), math.Abs(sc-c.sc)); d > 1e-12 {
			t.Errorf("pairScores(%v, %v) = %v, %v, want %v, %v", c.cx, c.cc, sx, sc, c.sx, c.sc)
		}
	}
}
