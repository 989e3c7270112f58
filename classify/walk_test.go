package classify

import "testing"

// The seed's walkthrough: labels billing, technical, sales and nothing else.
var seedTickets = []struct{ text, want string }{
	{"I need help with billing", "billing"},
	{"The app keeps crashing", "technical"},
	{"How do I upgrade my plan?", "sales"},
	{"I was charged twice on my credit card this month", "billing"},
	{"Error 500 when I click the save button", "technical"},
	{"Can I get a quote for 50 seats for my company?", "sales"},
}

func TestSeedWalkthrough(t *testing.T) {
	b := testBuiltin(t)
	spec := Spec{Labels: []string{"billing", "technical", "sales"}}
	texts := make([]string, len(seedTickets))
	for i, tc := range seedTickets {
		texts[i] = tc.text
	}
	state, err := b.Fit(spec, texts)
	if err != nil {
		t.Fatal(err)
	}
	fitted, err := b.CompileFitted(spec, state)
	if err != nil {
		t.Fatal(err)
	}
	for name, m := range map[string]Model{"real-time": compile(t, spec), "batch": fitted} {
		out := classifyAll(t, m, texts)
		right := 0
		for i, tc := range seedTickets {
			t.Logf("%s: %q -> %s %.2f (want %s)", name, tc.text, out[i].Label, out[i].Confidence, tc.want)
			if out[i].Label == tc.want {
				right++
			}
		}
		if right < 5 {
			t.Errorf("%s: %d of 6 right, want at least 5", name, right)
		}
	}
	two := Spec{Labels: []string{"billing", "technical"}}
	if r := classifyOne(t, compile(t, two), "the server is down again"); r.Label != "technical" {
		t.Errorf("real-time: %q -> %s %.2f, want technical", "the server is down again", r.Label, r.Confidence)
	}
}
