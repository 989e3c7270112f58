package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/classer-ai/classer-batch/classify"
)

var builtin struct {
	once sync.Once
	clf  *classify.Builtin
	err  error
}

func testClassifier(t testing.TB) *classify.Builtin {
	t.Helper()
	builtin.once.Do(func() { builtin.clf, builtin.err = classify.NewBuiltin() })
	if builtin.err != nil {
		t.Fatal(builtin.err)
	}
	return builtin.clf
}

// testModel compiles spec with the built-in classifier.
func testModel(t testing.TB, spec classify.Spec) classify.Model {
	t.Helper()
	m, err := testClassifier(t).Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func testSpec(t testing.TB, mode string) classify.Spec {
	spec := classify.Spec{Labels: []string{"billing", "technical", "sales"}, Mode: mode}
	if err := spec.Normalize(classify.DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	return spec
}

// testInput mixes good lines, bad lines, blank lines, a BOM and CRLF.
func testInput(n int) string {
	var b strings.Builder
	b.WriteString("\uFEFF")
	for i := range n {
		switch {
		case i%97 == 5:
			b.WriteString("\n") // blank
		case i%89 == 7:
			b.WriteString(`{"text": "broken` + "\n")
		case i%83 == 3:
			fmt.Fprintf(&b, "{\"id\":%d,\"text\":\"\"}\r\n", i)
		default:
			fmt.Fprintf(&b, "{\"id\":\"r%d\",\"text\":\"The app crashed again on invoice %d, please refund\"}\n", i, i)
		}
	}
	return b.String()
}

func process(t *testing.T, input string, spec classify.Spec, workers int, limits Limits) []byte {
	t.Helper()
	var out bytes.Buffer
	if _, err := Process(context.Background(), strings.NewReader(input), &out, spec, testModel(t, spec), workers, limits, nil); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestPipelineDeterministic: the bytes do not depend on the worker count or chunk size.
func TestPipelineDeterministic(t *testing.T) {
	input := testInput(3000)
	for _, mode := range []string{classify.ModeSingle, classify.ModeMulti} {
		spec := testSpec(t, mode)
		want := process(t, input, spec, 1, Limits{ChunkLines: 1000})
		lines := bytes.Count(want, []byte("\n"))
		blank := 0
		for i := range 3000 {
			if i%97 == 5 {
				blank++
			}
		}
		if lines != 3000-blank {
			t.Fatalf("%s: %d result lines, want %d", mode, lines, 3000-blank)
		}
		for _, cfg := range []struct{ workers, chunk int }{{2, 1}, {4, 7}, {3, 256}} {
			if got := process(t, input, spec, cfg.workers, Limits{ChunkLines: cfg.chunk}); !bytes.Equal(got, want) {
				t.Fatalf("%s: workers=%d chunk=%d gives different results", mode, cfg.workers, cfg.chunk)
			}
		}
	}
}

// TestPipelineResume stops a run after some chunks and resumes from the returned
// checkpoint: the concatenation equals one uninterrupted run, byte for byte.
func TestPipelineResume(t *testing.T) {
	input := testInput(2000)
	spec := testSpec(t, classify.ModeSingle)
	want := process(t, input, spec, 2, Limits{ChunkLines: 50})
	model, err := testClassifier(t).Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	pool := NewPool(2)
	defer pool.Close()
	stop := errors.New("stop")
	for _, after := range []int{1, 3, 17} {
		p := newPipeline(pool, model, spec, Limits{ChunkLines: 50})
		var first bytes.Buffer
		n := 0
		cp, err := p.run(context.Background(), strings.NewReader(input), &first, Checkpoint{}, func(progress) error {
			n++
			if n == after {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Fatalf("run: %v", err)
		}
		if cp.OutputOffset != int64(first.Len()) || cp.InputOffset == 0 {
			t.Fatalf("checkpoint %+v does not match %d bytes written", cp, first.Len())
		}
		var rest bytes.Buffer
		end, err := p.run(context.Background(), strings.NewReader(input[cp.InputOffset:]), &rest, cp, func(progress) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		got := append(first.Bytes(), rest.Bytes()...)
		if !bytes.Equal(got, want) {
			t.Fatalf("resume after %d chunks: results differ", after)
		}
		if end.InputOffset != int64(len(input)) || end.OutputOffset != int64(len(want)) {
			t.Fatalf("final checkpoint %+v, input %d bytes, output %d", end, len(input), len(want))
		}
	}
}

// TestPipelineLongLine: a line far over the limit fails alone and is never held whole.
func TestPipelineLongLine(t *testing.T) {
	limits := Limits{MaxTextChars: 1000, ReadBuffer: 4096}
	huge := `{"text":"` + strings.Repeat("word ", 1<<20) + `"}` // 5 MB
	input := `{"text":"first"}` + "\n" + huge + "\n" + `{"text":"last"}`
	got := string(process(t, input, testSpec(t, classify.ModeSingle), 2, limits))
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 result lines, got %d:\n%s", len(lines), got)
	}
	if !strings.Contains(lines[1], `"index":1,"error":"line 2: line is longer than`) {
		t.Fatalf("long line result: %s", lines[1])
	}
	if !strings.Contains(lines[2], `"index":2,"label"`) {
		t.Fatalf("last line result: %s", lines[2])
	}
}

func TestCountInput(t *testing.T) {
	input := testInput(500)
	c, err := countInput(context.Background(), strings.NewReader(input), Limits{}.withDefaults(), nil)
	if err != nil {
		t.Fatal(err)
	}
	out := process(t, input, testSpec(t, classify.ModeSingle), 2, Limits{})
	if c.lines != int64(bytes.Count(out, []byte("\n"))) || c.bytes != int64(len(input)) || c.tokens <= 0 {
		t.Fatalf("count %+v, results %d lines", c, bytes.Count(out, []byte("\n")))
	}
}

func BenchmarkPipeline3Labels(b *testing.B) {
	input := testInput(20000)
	spec := testSpec(b, classify.ModeSingle)
	model := testModel(b, spec)
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		var out bytes.Buffer
		if _, err := Process(context.Background(), strings.NewReader(input), &out, spec, model, 2, Limits{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCountEstimatesTokensFromSample: up to SampleTexts lines the estimate is the
// exact sum of per-line estimates; beyond, the sample's mean scaled up, close to it.
func TestCountEstimatesTokensFromSample(t *testing.T) {
	for _, n := range []int{100, 3 * SampleTexts} {
		input := testInput(n)
		c, err := countInput(context.Background(), strings.NewReader(input), Limits{}.withDefaults(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var exact int64
		for _, l := range strings.Split(input, "\n") {
			l = strings.TrimPrefix(strings.TrimSuffix(l, "\r"), "\uFEFF")
			if strings.TrimSpace(l) != "" {
				exact += int64(classify.EstimateTokens([]byte(l)))
			}
		}
		if n <= SampleTexts && c.tokens != exact {
			t.Fatalf("%d lines: estimate %d, exact %d", n, c.tokens, exact)
		}
		if diff := float64(c.tokens-exact) / float64(exact); diff > 0.05 || diff < -0.05 {
			t.Fatalf("%d lines: estimate %d is %.1f%% off the exact %d", n, c.tokens, 100*diff, exact)
		}
	}
}

// BenchmarkCountInput measures the pre-pass that must finish before lines flow.
func BenchmarkCountInput(b *testing.B) {
	input := testInput(50_000)
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		if _, err := countInput(context.Background(), strings.NewReader(input), Limits{}.withDefaults(), nil); err != nil {
			b.Fatal(err)
		}
	}
}
