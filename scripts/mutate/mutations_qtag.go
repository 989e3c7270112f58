package main

// Issue 24 item 4 (i-qtag): /v1/tag without a fit gives a label only where it stands out
// from the text's level on the other labels.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "/v1/tag without a fit: the other labels' mean raises a label's centre",
			file:  "classify/realtime.go",
			old:   "multiLineShare = 0.7",
			new:   "multiLineShare = 0",
			tests: []string{"classify:TestTagStandsOut", "classify:TestTagSupportTickets"},
		},
		{
			name:  "/v1/tag without a fit: the other labels' mean, not the line's",
			file:  "classify/realtime.go",
			old:   "others := (sum - float64(s)) / float64(k-1)",
			new:   "others := sum / float64(k)",
			tests: []string{"classify:TestTagStandsOut"},
		},
	}...)
}
