package batch_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

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

// compressed returns data as gzip and as zstd.
func compressed(t *testing.T, data []byte) map[string][]byte {
	t.Helper()
	var g, z bytes.Buffer
	gw := gzip.NewWriter(&g)
	gw.Write(data)
	gw.Close()
	zw, err := zstd.NewWriter(&z)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(data)
	zw.Close()
	return map[string][]byte{"gzip": g.Bytes(), "zstd": z.Bytes()}
}

// noisyInput is n lines of random hex (it compresses about 2:1, so the compressed file is
// big enough to measure how much of it a reader reads).
func noisyInput(n int) []byte {
	rnd := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"id":%d,"text":"`, i)
		for range 16 {
			fmt.Fprintf(&b, "%016x", rnd.Uint64())
		}
		b.WriteString("\"}\n")
	}
	return b.Bytes()
}

// cancellingBlobs counts the bytes read from the job inputs it opens and calls cancel
// once more than cancelAt have been read: a client that leaves while its page is read.
type cancellingBlobs struct {
	batch.Blobs
	read     *atomic.Int64
	cancelAt int64
	cancel   func()
}

func (b cancellingBlobs) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	rc, err := b.Blobs.Open(ctx, key, offset)
	if err != nil || !strings.HasSuffix(key, "/input.ndjson") {
		return rc, err
	}
	return readCloser{Reader: &countingReader{b, rc}, Closer: rc}, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

type countingReader struct {
	b cancellingBlobs
	r io.Reader
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.b.read.Add(int64(n)) > c.b.cancelAt {
		c.b.cancel()
	}
	return n, err
}

// TestLinesCompressedStopsWhenClientLeaves (issue 22 #3): a page far into a gzip or zstd
// input decompresses everything before it, from the start or from the line index's mark
// (and one of a plain input never counted reads it from the start); once the client has
// gone, that stops within a few reads of the file instead of running through it. Measured
// in bytes read from storage.
func TestLinesCompressedStopsWhenClientLeaves(t *testing.T) {
	e := newRunnerEnv(t)
	const lines = 40000
	plain := noisyInput(lines) // ~11 MB
	inputs := compressed(t, plain)
	inputs["plain"] = plain
	for name, data := range inputs {
		for _, counted := range []bool{false, true} {
			if name == "plain" && counted {
				continue // the line index's mark is opened at its offset: nothing to skip
			}
			job := e.pendingJob(t, data)
			if counted { // the line index lets the page skip to its mark's offset
				r0 := e.newRunner(t, batch.Config{Workers: 1}, nil, nil, nil)
				var err error
				if _, job, err = r0.Sample(context.Background(), job); err != nil || !job.Counted {
					t.Fatalf("count: %v", err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			var read atomic.Int64
			const cancelAt = 1 << 20
			blobs := cancellingBlobs{Blobs: localBlobs{e.objs}, read: &read, cancelAt: cancelAt, cancel: cancel}
			r := e.newRunner(t, batch.Config{Workers: 1}, nil, blobs, nil)
			_, err := r.Lines(ctx, job, batch.LinesQuery{Offset: lines - 1, Limit: 1})
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("%s counted=%v: %v, want context.Canceled", name, counted, err)
			}
			// After the cancel: at most the bufio fill and the block the decompressor was in.
			t.Logf("%s counted=%v: read %d of %d stored bytes (cancelled after %d)", name, counted, read.Load(), len(data), cancelAt)
			if got := read.Load(); got > cancelAt+512<<10 || int64(len(data)) < 4*cancelAt {
				t.Fatalf("%s counted=%v: read %d of %d stored bytes after a cancel at %d", name, counted, got, len(data), cancelAt)
			}
		}
	}
}

// TestLinesPastMaxInputBytes (issue 22 #3): a page past limits.max_input_bytes of a
// compressed input is refused with ErrInputTooLarge naming the limit and its setting.
func TestLinesPastMaxInputBytes(t *testing.T) {
	e := newRunnerEnv(t)
	plain := noisyInput(5000) // ~1.6 MB
	r := e.newRunner(t, batch.Config{Workers: 1, Limits: batch.Limits{MaxInputBytes: 1 << 20}}, nil, nil, nil)
	for name, data := range compressed(t, plain) {
		job := e.pendingJob(t, data)
		_, err := r.Lines(context.Background(), job, batch.LinesQuery{Offset: 4999, Limit: 1})
		if !errors.Is(err, batch.ErrInputTooLarge) || !strings.Contains(err.Error(), "1048576 bytes") || !strings.Contains(err.Error(), "limits.max_input_bytes") {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// TestLinesEmptyIsArray (issue 22 #10): an input of blank lines has no lines: [] not null.
func TestLinesEmptyIsArray(t *testing.T) {
	e := newRunnerEnv(t)
	r := e.newRunner(t, batch.Config{Workers: 1}, nil, nil, nil)
	page, err := r.Lines(context.Background(), e.pendingJob(t, []byte("\n  \n\n")), batch.LinesQuery{Limit: 10})
	if err != nil || page.Lines == nil || len(page.Lines) != 0 || page.NextOffset != nil {
		t.Fatalf("page %+v, %v", page, err)
	}
}

// TestLongLineErrorNamesTheLimit (issue 22 #14): a line over the longest one kept says the
// limit in bytes and the setting it comes from.
func TestLongLineErrorNamesTheLimit(t *testing.T) {
	e := newRunnerEnv(t)
	model, err := e.clf.Compile(e.spec)
	if err != nil {
		t.Fatal(err)
	}
	input := `{"text":"` + strings.Repeat("word ", 20000) + "\"}\n"
	var out bytes.Buffer
	if _, err := batch.Process(context.Background(), strings.NewReader(input), &out, e.spec, model, 1, batch.Limits{MaxTextChars: 100}, nil); err != nil {
		t.Fatal(err)
	}
	if want := `line 1: line is longer than 66136 bytes, the longest line that limits.max_text_chars (100) allows`; !strings.Contains(out.String(), want) {
		t.Fatalf("%s: want %q", out.String(), want)
	}
}

// TestJobErrorHidesServerPaths (issue 22 #6): a job that fails on a storage error says
// what failed, without the server's file paths (its tenant reads the error).
func TestJobErrorHidesServerPaths(t *testing.T) {
	e := newRunnerEnv(t)
	r := e.newRunner(t, batch.Config{Workers: 1}, nil, nil, nil)
	id := e.startJob(t, mixedInput(10, 0))
	// A directory where the results are written: opening them fails with a path error.
	if _, err := e.objs.Put(context.Background(), batch.OutputKey(id)+".partial/x", strings.NewReader("x"), -1); err != nil {
		t.Fatal(err)
	}
	r.Run(id)
	j := e.wait(t, id, nil)
	root := filepath.Dir(t.TempDir()) // the parent of every temp dir of this test, the store's too
	if j.Status != batch.StatusFailed || !strings.Contains(j.Error, "open results") || !strings.Contains(j.Error, "is a directory") || strings.Contains(j.Error, root) {
		t.Fatalf("%s: %q (the server's paths are under %s)", j.Status, j.Error, root)
	}
}

// TestZstdWindowBounded (issue 22 #11): a zstd input that asks for more than 64 MiB of
// decoding memory (a window of 128 MiB, or a single-segment frame whose window is its whole
// 100 MB content) is refused before it is decoded, naming the limit; what reading it
// allocated is measured.
func TestZstdWindowBounded(t *testing.T) {
	e := newRunnerEnv(t)
	r := e.newRunner(t, batch.Config{Workers: 1}, nil, nil, nil)
	line := []byte(`{"text":"the same line again and again, a bomb of one line"}` + "\n")
	var big bytes.Buffer
	zw, err := zstd.NewWriter(&big, zstd.WithWindowSize(128<<20))
	if err != nil {
		t.Fatal(err)
	}
	for range 50000 {
		zw.Write(line)
	}
	zw.Close()
	enc, err := zstd.NewWriter(nil, zstd.WithSingleSegment(true))
	if err != nil {
		t.Fatal(err)
	}
	single := enc.EncodeAll(bytes.Repeat(line, 100<<20/len(line)), nil)
	for name, data := range map[string][]byte{"128 MiB window": big.Bytes(), "100 MB single segment": single} {
		job := e.pendingJob(t, data)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := r.Lines(context.Background(), job, batch.LinesQuery{Limit: 10})
		runtime.ReadMemStats(&after)
		alloc := after.TotalAlloc - before.TotalAlloc
		t.Logf("%s (%d bytes compressed): allocated %d bytes", name, len(data), alloc)
		if !errors.Is(err, batch.ErrZstdWindow) || !strings.Contains(err.Error(), "64 MiB") {
			t.Fatalf("%s: %v, want ErrZstdWindow", name, err)
		}
		if alloc > 16<<20 {
			t.Fatalf("%s: reading it allocated %d bytes", name, alloc)
		}
	}
}
