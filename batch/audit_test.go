package batch_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
)

// Tests for issue 22's findings on the batch data path.

// pendingJob stores data as a new pending job's input (not counted) and returns the job.
func (e *runnerEnv) pendingJob(t *testing.T, data []byte) *batch.Job {
	t.Helper()
	ctx := context.Background()
	id := batch.NewJobID()
	if _, err := e.objs.Put(ctx, batch.InputKey(id), strings.NewReader(string(data)), -1); err != nil {
		t.Fatal(err)
	}
	j := &batch.Job{ID: id, Account: "acme", Spec: e.spec, Status: batch.StatusPending,
		InputKey: batch.InputKey(id), OutputKey: batch.OutputKey(id), CreatedAt: time.Now()}
	if err := e.db.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	return j
}

// ownText is line i's text, of about size bytes; it names its line at both ends, so a
// text that is partly another line's is seen too.
func ownText(i, size int) string {
	head := fmt.Sprintf("line %d begins ", i)
	tail := fmt.Sprintf(" line %d ends", i)
	return head + strings.Repeat(string(rune('a'+i%26)), max(size-len(head)-len(tail), 0)) + tail
}

// TestLinesTextsAreTheirOwn (issue 22 #1): every text on a page of lines is its own line's,
// for a full page of ~1.2 KB lines (more than the reader's buffer holds) and for a console
// page of short lines among 20 KB ones (the long lines make the reader refill its buffer
// and the gather buffer), with plain text and with escapes (decoded into a scratch buffer).
func TestLinesTextsAreTheirOwn(t *testing.T) {
	e := newRunnerEnv(t)
	r := e.newRunner(t, batch.Config{Workers: 1}, nil, nil, nil)
	for _, tc := range []struct {
		name  string
		n     int
		size  func(i int) int
		limit int
		esc   bool
	}{
		{"1.2KB lines", 500, func(int) int { return 1200 }, 500, false},
		{"1.2KB lines with escapes", 500, func(int) int { return 1200 }, 500, true},
		{"short and 20KB lines", 200, func(i int) int { return []int{40, 20000, 60, 20000, 30}[i%5] }, 50, false},
	} {
		var b strings.Builder
		texts := make([]string, tc.n)
		for i := range tc.n {
			texts[i] = ownText(i, tc.size(i))
			if tc.esc {
				texts[i] += "\t\"quoted\""
			}
			fmt.Fprintf(&b, "{\"id\":\"r%d\",\"text\":%q}\n", i, texts[i])
		}
		job := e.pendingJob(t, []byte(b.String()))
		for off := int64(0); off < int64(tc.n); off += int64(tc.limit) {
			page, err := r.Lines(context.Background(), job, batch.LinesQuery{Offset: off, Limit: tc.limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Lines) != tc.limit {
				t.Fatalf("%s: offset %d: %d lines, want %d", tc.name, off, len(page.Lines), tc.limit)
			}
			wrong := 0
			for _, l := range page.Lines {
				want := texts[l.Index]
				if len(want) > 2000 {
					want = want[:2000] + "…"
				}
				if l.Text != want || string(l.ID) != fmt.Sprintf(`"r%d"`, l.Index) {
					wrong++
				}
			}
			if wrong > 0 {
				t.Fatalf("%s: offset %d: %d of %d texts or ids are not their line's", tc.name, off, wrong, len(page.Lines))
			}
		}
	}
}
