package classify

import "testing"

// TestCatchAllBarShortTexts: "billing / not billing" in real time (no fit), on short support
// tickets. A short ticket about billing averages few words, so its score for billing stays
// under the long-text bar catchAllZ and a constant bar gave most of them `not billing`; the
// bar that falls with the text's length gives them billing, while the technical and sales
// tickets stay `not billing`.
func TestCatchAllBarShortTexts(t *testing.T) {
	m := compile(t, Spec{Labels: []string{"billing", "not billing"}})
	rows := supportTickets(300)
	texts := make([]string, len(rows))
	for i, r := range rows {
		texts[i] = r.Text
	}
	out := classifyAll(t, m, texts)
	var billing, billingRight, other, otherRight int
	for i, r := range rows {
		if r.Label == "billing" {
			billing++
			if out[i].Label == "billing" {
				billingRight++
			}
			continue
		}
		other++
		if out[i].Label == "not billing" {
			otherRight++
		}
	}
	t.Logf("billing tickets: %d of %d billing; others: %d of %d not billing", billingRight, billing, otherRight, other)
	// 24 of 100 billing tickets (others 200 of 200) with the constant bar; 66 (173) with the
	// falling one.
	if billingRight*100 < billing*50 {
		t.Errorf("%d of %d billing tickets answered billing, want at least 50 %%", billingRight, billing)
	}
	if otherRight*100 < other*80 {
		t.Errorf("%d of %d other tickets answered not billing, want at least 80 %%", otherRight, other)
	}
}
