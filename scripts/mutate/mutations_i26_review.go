package main

// Issue 26: reviews of a completed job, the audit estimate, rerun with corrections.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a rerun never takes audit-sample lines as examples (its audit accuracy is held out)",
			file:  "server/rerun.go",
			old:   "if !r.Audit {",
			new:   "if true {",
			tests: []string{"server:TestRerunExamples", "server:TestRerun"},
		},
		{
			name:  "the store takes reviews for completed jobs only",
			file:  "store/reviews.go",
			old:   "if j.Status != batch.StatusCompleted {",
			new:   "if false {",
			tests: []string{"store:TestSuite"},
		},
		{
			name:  "a job's reviews are deleted with it",
			file:  "store/jobs.go",
			old:   "if err := deleteReviews(tx, j.ID); err != nil {",
			new:   "if err := error(nil); err != nil {",
			tests: []string{"store:TestSuite"},
		},
		{
			name:  "no accuracy estimate below 30 audited lines",
			file:  "server/reviews.go",
			old:   "if sum.Audited >= minAuditedForEstimate {",
			new:   "if sum.Audited >= 1 {",
			tests: []string{"server:TestWilson"},
			note:  "server:TestReviews checks the view too, but its lines are in the audit sample only for some job ids (random per run)",
		},
		{
			name:  "the worst queue puts reviewed lines after every unreviewed one",
			file:  "server/reviews.go",
			old:   "it.key += 2 // after every unreviewed line",
			new:   "it.key += 0 // after every unreviewed line",
			tests: []string{"server:TestReviewQueues"},
		},
	}...)
}
