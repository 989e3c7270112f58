package batch_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
)

// completedWith stores results as a completed job's output (and input as its input).
func (e *runnerEnv) completedWith(t testing.TB, input, results string) *batch.Job {
	t.Helper()
	ctx := context.Background()
	id := batch.NewJobID()
	j := &batch.Job{ID: id, Account: "acme", Spec: e.spec, Status: batch.StatusCompleted,
		InputKey: batch.InputKey(id), OutputKey: batch.OutputKey(id), CreatedAt: time.Now()}
	if _, err := e.objs.Put(ctx, j.InputKey, strings.NewReader(input), -1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.objs.Put(ctx, j.OutputKey, strings.NewReader(results), -1); err != nil {
		t.Fatal(err)
	}
	return j
}

func synthResults(n int, label func(int) string) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "{\"index\":%d,\"label\":%q,\"confidence\":0.%d,\"tokens\":3}\n", i, label(i), 100+i%900)
	}
	return b.String()
}

// TestAnswersAndCompare: Answers streams every result in order; CompareAnswers pairs two
// jobs' results line by line and refuses results that do not line up.
func TestAnswersAndCompare(t *testing.T) {
	e := newRunnerEnv(t)
	r := e.newRunner(t, batch.Config{Workers: 1}, nil, nil, nil)
	ctx := context.Background()
	a := e.completedWith(t, "", synthResults(5000, func(i int) string { return "billing" }))
	b := e.completedWith(t, "", synthResults(5000, func(i int) string { return []string{"billing", "sales"}[i%2] }))
	short := e.completedWith(t, "", synthResults(4999, func(i int) string { return "billing" }))
	var seen []int64
	if err := r.Answers(ctx, a, func(v *batch.LineView) error { seen = append(seen, v.Index); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 5000 || seen[0] != 0 || seen[4999] != 4999 {
		t.Fatalf("Answers gave %d lines", len(seen))
	}
	moved := 0
	err := r.CompareAnswers(ctx, a, b, func(x, y *batch.LineView) error {
		if x.Index != y.Index {
			t.Fatalf("paired %d with %d", x.Index, y.Index)
		}
		if x.Label != y.Label {
			moved++
		}
		return nil
	})
	if err != nil || moved != 2500 {
		t.Fatalf("CompareAnswers: %v, %d moved, want 2500", err, moved)
	}
	if err := r.CompareAnswers(ctx, a, short, func(x, y *batch.LineView) error { return nil }); err == nil {
		t.Fatal("results of different lengths compared without an error")
	}
	pending := *a
	pending.Status = batch.StatusPending
	if err := r.Answers(ctx, &pending, func(*batch.LineView) error { return nil }); err == nil {
		t.Fatal("Answers of a job that is not completed")
	}
}

// TestTextsWhole: Texts returns whole texts (a rerun's examples, an export) or texts cut as
// in a page, for the lines asked, skipping blank lines.
func TestTextsWhole(t *testing.T) {
	e := newRunnerEnv(t)
	r := e.newRunner(t, batch.Config{Workers: 1}, nil, nil, nil)
	long := strings.Repeat("é", 3000)
	j := e.completedWith(t, "{\"text\":\"a\"}\n\n{\"text\":\""+long+"\"}\n{\"text\":\"c\"}\n", "")
	got, err := r.Texts(context.Background(), j, []int64{0, 2, 3}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Text != "a" || got[1].Index != 2 || got[1].Text != long || got[2].Text != "c" {
		t.Fatalf("Texts = %+v", got)
	}
	cut, err := r.Texts(context.Background(), j, []int64{2}, true)
	if err != nil || len(cut) != 1 || len(cut[0].Text) >= len(long) || !strings.HasSuffix(cut[0].Text, "…") {
		t.Fatalf("cut Texts = %v, %v", cut, err)
	}
}

// BenchmarkAnswers measures the one pass over a job's results that each review queue and
// the comparison of a rerun make (b.SetBytes: MB/s of results read).
func BenchmarkAnswers(b *testing.B) {
	objs, err := blob.NewLocal(b.TempDir(), bytes.Repeat([]byte{3}, 32), "http://127.0.0.1:1", time.Now)
	if err != nil {
		b.Fatal(err)
	}
	e := &runnerEnv{objs: objs}
	r := batch.NewRunner(batch.Config{Workers: 1}, nil, localBlobs{objs}, nil, slog.New(slog.DiscardHandler), nil)
	res := synthResults(1_000_000, func(i int) string { return []string{"billing", "sales", "technical"}[i%3] })
	j := e.completedWith(b, "", res)
	b.SetBytes(int64(len(res)))
	b.ResetTimer()
	for range b.N {
		n := 0
		if err := r.Answers(context.Background(), j, func(*batch.LineView) error { n++; return nil }); err != nil || n != 1_000_000 {
			b.Fatal(err, n)
		}
	}
}
