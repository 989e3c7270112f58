package batch_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
)

// browseInput is n lines of about 100 bytes, every 7th blank; text i is line i's text.
func browseInput(n int) (string, []string) {
	var b strings.Builder
	texts := make([]string, n)
	for i := range n {
		if i%7 == 6 {
			b.WriteString("\n")
			continue
		}
		texts[i] = fmt.Sprintf("line %d: %s", i, strings.Repeat("padding words ", 5+i%3))
		fmt.Fprintf(&b, "{\"id\":%d,\"text\":%q}\n", i, texts[i])
	}
	return b.String(), texts
}

// TestLinesPages: pages of a job's lines, read from its line index (several marks over a few
// MiB, counted at upload) or from a gzip input without one, hold the right texts and ids,
// skip blank lines and say where the next page starts.
func TestLinesPages(t *testing.T) {
	e := newRunnerEnv(t)
	r := e.newRunner(t, batch.Config{Workers: 2}, nil, nil, nil)
	ctx := context.Background()
	input, texts := browseInput(40000) // ~4.5 MB: marks every MiB
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(input))
	zw.Close()
	for _, tc := range []struct {
		name string
		data []byte
	}{{"plain", []byte(input)}, {"gzip", gz.Bytes()}} {
		id := batch.NewJobID()
		job := &batch.Job{ID: id, Account: "acme", Spec: e.spec, Status: batch.StatusPending,
			InputKey: batch.InputKey(id), OutputKey: batch.OutputKey(id), CreatedAt: time.Now()}
		if err := e.db.CreateJob(ctx, job); err != nil {
			t.Fatal(err)
		}
		w, done, err := r.CountUpload(ctx, id, "in.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.objs.Put(ctx, batch.InputKey(id), io.TeeReader(bytes.NewReader(tc.data), w), -1); err != nil {
			t.Fatal(err)
		}
		if err := done(ctx); err != nil {
			t.Fatal(err)
		}
		job, _ = e.db.Job(ctx, "acme", id)
		if job.InputFilename != "in.ndjson" || job.Counted != (tc.name == "plain") {
			t.Fatalf("%s: filename %q, counted %v", tc.name, job.InputFilename, job.Counted)
		}
		for _, off := range []int64{0, 5, 6, 9000, 23456, 39990} {
			page, err := r.Lines(ctx, job, batch.LinesQuery{Offset: off, Limit: 20})
			if err != nil {
				t.Fatal(err)
			}
			want := off
			for _, l := range page.Lines {
				for texts[want] == "" { // blank lines are skipped
					want++
				}
				if l.Index != want || l.Text != texts[want] || string(l.ID) != fmt.Sprint(want) {
					t.Fatalf("%s offset %d: line %+v, want index %d text %q", tc.name, off, l, want, texts[want])
				}
				want++
			}
			switch {
			case off+20 < 39990 && (len(page.Lines) != 20 || page.NextOffset == nil || *page.NextOffset != want):
				t.Fatalf("%s offset %d: %d lines, next %v (want %d)", tc.name, off, len(page.Lines), page.NextOffset, want)
			case off == 39990 && (len(page.Lines) != 8 || page.NextOffset != nil):
				t.Fatalf("%s offset %d: the last page has %d lines, next %v", tc.name, off, len(page.Lines), page.NextOffset)
			}
		}
	}
}
