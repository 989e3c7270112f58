package classify

import "testing"

// TestDescriptionsKeepGlossary: without a fit, short descriptions as users write them,
// sentences about the label mostly made of words all of them share ("A customer asking
// about ..."), must not throw away what the names' glossary expansions know about the words
// the labels' texts use (protoDescExpWeight). Names alone get 424 of the 600 tickets right;
// with these descriptions 360, and 298 when a description replaces the expansion (before
// issue 24's second real-time round): the floor sits between.
func TestDescriptionsKeepGlossary(t *testing.T) {
	tickets := supportTickets(600)
	texts := make([]string, len(tickets))
	for i, x := range tickets {
		texts[i] = x.Text
	}
	right := func(spec Spec) int {
		n := 0
		for i, r := range classifyAll(t, compile(t, spec), texts) {
			if r.Label == tickets[i].Label {
				n++
			}
		}
		return n
	}
	labels := []string{"billing", "technical", "sales"}
	names := right(Spec{Labels: labels})
	described := right(Spec{Labels: labels, Descriptions: map[string]string{
		"billing":   "A customer asking about a charge or a payment on their account.",
		"technical": "A customer reporting a problem with our product.",
		"sales":     "A customer asking about our plans and prices before buying.",
	}})
	if described < 330 {
		t.Errorf("with descriptions %d of %d right, want at least 330 (names alone: %d)", described, len(texts), names)
	}
}
