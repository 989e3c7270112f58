package classify

import "testing"

// TestComplementDescriptionCounts (issue 24 item 5): a complement's description says what
// its texts look like, and real-time answers read it. Generated support tickets split into
// "X" and "not X" (the other two kinds): with the bar alone (the description dropped, as
// real-time did before), short tickets of X that match X only weakly fell to "not X"
// (technical 367 of 600 right, sales 408; with the description 405 and 430).
func TestComplementDescriptionCounts(t *testing.T) {
	b := testBuiltin(t)
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
	sumBar, sumBoth := 0, 0
	for x, d := range descs {
		right := func(spec Spec) int {
			m, err := b.Compile(spec)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]Result, len(texts))
			m.Classify(texts, out)
			n := 0
			for i, r := range out {
				if (r.Label == x) == (tickets[i].Label == x) {
					n++
				}
			}
			return n
		}
		labels := []string{x, "not " + x}
		bar := right(Spec{Labels: labels, Descriptions: map[string]string{x: d[0]}})
		both := right(Spec{Labels: labels, Descriptions: map[string]string{x: d[0], "not " + x: d[1]}})
		t.Logf("%s: %d / %d right with the bar alone, %d with the complement's description", x, bar, len(texts), both)
		if both < bar-6 {
			t.Errorf("%s: the complement's description costs %d tickets (%d against %d)", x, bar-both, both, bar)
		}
		sumBar += bar
		sumBoth += both
	}
	// Measured: 1,277 of 1,800 against 1,217 with the bar alone.
	if sumBoth < 1260 {
		t.Errorf("%d of 1,800 right with the complements' descriptions, want at least 1,260 (bar alone: %d)", sumBoth, sumBar)
	}
}
