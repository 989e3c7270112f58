package batch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/classer-ai/classer-batch/batch"
)

// resultsCancellingBlobs is cancellingBlobs on a job's results instead of its input.
type resultsCancellingBlobs struct{ cancellingBlobs }

func (b resultsCancellingBlobs) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	rc, err := b.Blobs.Open(ctx, key, offset)
	if err != nil || !strings.HasSuffix(key, "/results.ndjson") {
		return rc, err
	}
	return readCloser{Reader: &countingReader{b.cancellingBlobs, rc}, Closer: rc}, nil
}

// TestLinesResultsStopWhenClientLeaves (issue 22 #3): a completed job's page reads its
// results twice over at worst: the one pass that makes the results index, and a filtered
// page's scan of up to 200,000 results. Once the client has gone, each stops within a few
// reads of the file instead of running through it. Measured in bytes read from storage.
func TestLinesResultsStopWhenClientLeaves(t *testing.T) {
	e := newRunnerEnv(t)
	const lines = 100000
	var in, out strings.Builder
	for i := range lines {
		fmt.Fprintf(&in, "{\"id\":%d,\"text\":\"ticket %d\"}\n", i, i)
		fmt.Fprintf(&out, `{"index":%d,"id":%d,"label":"billing","labels":[{"label":"billing","confidence":0.61}],"error":"","confidence":0.61}`+"\n", i, i)
	}
	job := e.pendingJob(t, []byte(in.String()))
	if _, err := e.objs.Put(context.Background(), job.OutputKey, strings.NewReader(out.String()), -1); err != nil {
		t.Fatal(err)
	}
	job.Status = batch.StatusCompleted
	size := int64(out.Len()) // ~11 MB

	const cancelAt = 1 << 20
	for _, tc := range []struct {
		name  string
		query batch.LinesQuery
	}{
		// No results index yet: the page makes it first.
		{"the results index pass", batch.LinesQuery{Limit: 1}},
		// The index exists now; no result has this label, so the page scans up to browseScan.
		{"a filtered scan", batch.LinesQuery{Limit: 1, Label: "sales"}},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		var read atomic.Int64
		blobs := resultsCancellingBlobs{cancellingBlobs{Blobs: localBlobs{e.objs}, read: &read, cancelAt: cancelAt, cancel: cancel}}
		r := e.newRunner(t, batch.Config{Workers: 1}, nil, blobs, nil)
		_, err := r.Lines(ctx, job, tc.query)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: %v, want context.Canceled", tc.name, err)
		}
		// After the cancel: at most the bufio fill and browseCheckEvery lines.
		t.Logf("%s: read %d of %d stored bytes (cancelled after %d)", tc.name, read.Load(), size, cancelAt)
		if got := read.Load(); got > cancelAt+512<<10 || size < 4*cancelAt {
			t.Fatalf("%s: read %d of %d stored bytes after a cancel at %d", tc.name, got, size, cancelAt)
		}
		// The client that stays gets its page (and, the first time, the index is made).
		if _, err := r.Lines(context.Background(), job, tc.query); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
	}
}
