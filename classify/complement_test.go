package classify

import "testing"

// TestComplementReadsItself (issue 24 item 5): real-time answers score a described complement
// ("not technical": "A customer asking about a charge, ...") half by its own prototype, not
// only by the catch-all's bar. Generated support tickets split into X and "not X" (the other
// two kinds); the bar alone is what a catch-all ("other") in its place gets, and what a
// complement got before: tickets of X that match X only weakly fell to "not X" (technical
// 367 of 600 right, sales 408; with the description 405 and 430). Without a description
// the complement keeps the bar: its name alone ("not" + X) cost these tickets 154 of 1,800
// at the share that helped the dev sets (EVAL.md, "What was tried").
func TestComplementReadsItself(t *testing.T) {
	tickets := supportTickets(600)
	texts := make([]string, len(tickets))
	for i, x := range tickets {
		texts[i] = x.Text
	}
	descs := map[string][2]string{
		"billing":   {"A customer asking about a charge or a payment on their account.", "A customer reporting a problem with our product or asking about our plans and prices."},
		"technical": {"A customer reporting a problem with our product.", "A customer asking about a charge, a payment, our plans or our prices."},
		"sales":     {"A customer asking about our plans and prices before buying.", "A customer reporting a problem with our product or asking about a charge on their account."},
	}
	var bar, described int
	for x, d := range descs {
		right := func(spec Spec) int {
			n := 0
			for i, r := range classifyAll(t, compile(t, spec), texts) {
				if (r.Label == x) == (tickets[i].Label == x) {
					n++
				}
			}
			return n
		}
		bn := right(Spec{Labels: []string{x, "other"}})
		b := right(Spec{Labels: []string{x, "other"}, Descriptions: map[string]string{x: d[0]}})
		n := right(Spec{Labels: []string{x, "not " + x}})
		c := right(Spec{Labels: []string{x, "not " + x}, Descriptions: map[string]string{x: d[0], "not " + x: d[1]}})
		t.Logf("%s: %d / %d right (names: bar %d, complement %d; descriptions: bar %d, complement %d)", x, c, len(texts), bn, n, b, c)
		// ("other" and "not X" differ a little in X's glossary expansion, which leaves out
		// words that name another label.)
		if n < bn-3 || n > bn+3 {
			t.Errorf("%s: a complement without a description got %d right, the bar alone %d: it should score as the bar", x, n, bn)
		}
		if c < b-6 {
			t.Errorf("%s: the complement's description costs %d tickets (%d against %d)", x, b-c, c, b)
		}
		bar, described = bar+b, described+c
	}
	// Measured: 1,277 of 1,800 against 1,217 with the bar alone.
	if described < 1260 {
		t.Errorf("%d of 1,800 right with the complements' descriptions, want at least 1,260 (bar alone: %d)", described, bar)
	}
}
