package classify

import "testing"

func TestEstimateTokens(t *testing.T) {
	b := testBuiltin(t)
	tests := []struct {
		line string
		text string
	}{
		{`{"id": 1, "text": "Hello, World! It's 3.5 km."}`, "Hello, World! It's 3.5 km."},
		{`{"text":"line one\nline \"two\" don't","id":"x"}`, "line one\nline \"two\" don't"},
		{`{"text": "caf\u00e9 au lait"}`, "café au lait"},
		{`{"text": "Wait... what?!"}`, "Wait... what?!"},
	}
	for _, tc := range tests {
		if got, want := EstimateTokens([]byte(tc.line)), b.Tokens(tc.text); got != want {
			t.Errorf("EstimateTokens(%s) = %d, want %d", tc.line, got, want)
		}
	}
	// On real data the estimate stays within a few percent of the exact count.
	dir := datasetsDir(t)
	for _, name := range []string{"uci_sentiment", "reuters_grain"} {
		_, rows := loadDataset(t, name)
		lines := readLines(t, dir+"/"+name+".ndjson")
		var est, exact int
		for i, r := range rows {
			est += EstimateTokens(lines[i])
			exact += b.Tokens(r.Text)
		}
		ratio := float64(est) / float64(exact)
		t.Logf("%s: estimated %d, exact %d (%.3f)", name, est, exact, ratio)
		if ratio < 0.95 || ratio > 1.05 {
			t.Errorf("%s: estimate %d is not within 5%% of %d", name, est, exact)
		}
	}
}
