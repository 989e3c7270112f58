package batch_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/classer-ai/classer-batch/batch"
)

// TestShardsMatchASingleRun: with Limits.ShardBytes the count pass splits the input into
// shards on line boundaries; each shard classified on its own, the results put end to
// end are byte for byte a single run's (the same "index" values, the same "line N"
// errors after blank lines, a BOM, CRLF and bad lines), and the shards' counters add
// up to the job's.
func TestShardsMatchASingleRun(t *testing.T) {
	checkShards(t, nil)
}

// TestCompressedShards: a gzip or zstd input is decompressed once, by its count pass,
// into an object per shard, so its shards spread over workers as a plain input's do;
// each is classified from its object alone (the input is gone by then), and the results
// are byte for byte a single run's.
func TestCompressedShards(t *testing.T) {
	t.Run("gzip", func(t *testing.T) {
		checkShards(t, func(b []byte) []byte {
			var out bytes.Buffer
			w := gzip.NewWriter(&out)
			w.Write(b)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			return out.Bytes()
		})
	})
	t.Run("zstd", func(t *testing.T) {
		checkShards(t, func(b []byte) []byte {
			w, err := zstd.NewWriter(nil)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			return w.EncodeAll(b, nil)
		})
	})
}

// checkShards runs TestShardsMatchASingleRun's input as a job, stored compressed by
// compress unless it is nil.
func checkShards(t *testing.T, compress func([]byte) []byte) {
	e := newRunnerEnv(t)
	var b strings.Builder
	b.WriteString("\xEF\xBB\xBF")
	b.WriteString(mixedInput(400, 37))
	b.WriteString("\n   \r\n")
	b.WriteString(strings.ReplaceAll(mixedInput(300, 51), "\n", "\r\n"))
	b.WriteString("\n\n" + goodText(9999)) // no final newline
	input := b.String()
	want := e.reference(t, input)

	dispatched := make(chan *batch.Job, 1)
	cfg := batch.Config{Workers: 2, Limits: batch.Limits{ChunkLines: 16, ShardBytes: 4 << 10},
		Dispatch: func(_ context.Context, j *batch.Job) error { dispatched <- j; return nil }}
	r := e.newRunner(t, cfg, nil, nil, nil)
	stored := input
	if compress != nil {
		stored = string(compress([]byte(input)))
	}
	id := e.startJob(t, stored)
	r.Run(id)
	var job *batch.Job
	for job == nil {
		select {
		case job = <-dispatched:
		case <-time.After(20 * time.Millisecond): // polling interval, not an assertion
			if j, err := e.db.Job(context.Background(), "", id); err != nil || j.Status != batch.StatusProcessing {
				t.Fatalf("not dispatched: %+v, %v", j, err)
			}
		}
	}
	if compress != nil { // the workers read their shards' objects, not the input
		if err := e.objs.Delete(context.Background(), batch.InputKey(id)); err != nil {
			t.Fatal(err)
		}
	}
	if j, _ := e.db.Job(context.Background(), "", id); j.Status != batch.StatusProcessing {
		t.Fatalf("a dispatched job is %s, want processing until its shards are done", j.Status)
	}

	shards, err := r.Shards(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if len(shards) < 5 {
		t.Fatalf("%d shards of a %d-byte input with 4 KiB shards", len(shards), len(input))
	}
	var got bytes.Buffer
	var sum batch.ShardResult
	var next batch.Shard
	for i, s := range shards {
		if s.Offset != next.End || s.End <= s.Offset || (i > 0 && s.Line <= next.Line) || s.Index != sum.Completed+sum.Failed {
			t.Fatalf("shard %d %+v after %+v: not contiguous", i, s, next)
		}
		if (s.Key != "") != (compress != nil) {
			t.Fatalf("shard %d %+v: an object of its own is for a compressed input only", i, s)
		}
		if s.Offset > 0 && input[s.Offset-1] != '\n' {
			t.Fatalf("shard %d starts mid-line at byte %d", i, s.Offset)
		}
		res, err := r.RunShard(context.Background(), job, s, &got, nil)
		if err != nil {
			t.Fatal(err)
		}
		sum.Completed += res.Completed
		sum.Failed += res.Failed
		sum.Tokens += res.Tokens
		sum.Bytes += res.Bytes
		next = s
	}
	if next.End != int64(len(input)) {
		t.Fatalf("the last shard ends at %d of %d bytes", next.End, len(input))
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("the shards' results (%d bytes) differ from a single run's (%d bytes)", got.Len(), len(want))
	}
	if sum.Completed+sum.Failed != job.RequestsTotal || sum.Bytes != int64(len(want)) || sum.Failed == 0 {
		t.Fatalf("shards counted %+v; the job has %d lines, %d result bytes", sum, job.RequestsTotal, len(want))
	}
}
