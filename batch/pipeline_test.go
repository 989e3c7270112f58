package batch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/classifytest"
)

var builtin struct {
	once sync.Once
	clf  *classify.WordClassifier
	err  error
}

func testClassifier(t testing.TB) *classify.WordClassifier {
	t.Helper()
	builtin.once.Do(func() { builtin.clf, builtin.err = classifytest.NewBuiltin() })
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

// TestResultsBelongToTheirLines: every result is its own line's, whatever the chunking.
// Each good line has a distinct text of its own length, so its token count (counted
// here by the tokenizer) and its answer (the model on that text alone) identify it; bad
// and blank lines sit between them and across chunk boundaries.
func TestResultsBelongToTheirLines(t *testing.T) {
	words := []string{"invoice", "refund", "crash", "login", "upgrade", "quote", "password", "export", "discount", "timeout", "screen", "seats"}
	type want struct {
		id     string
		errPre string // a bad line: the error's prefix
		tokens int
		label  string
		conf   float64
	}
	spec := testSpec(t, classify.ModeSingle)
	model := testModel(t, spec)
	clf := testClassifier(t)
	var in strings.Builder
	wants := map[int64]want{} // by index (the 0-based physical line)
	for i := range 1200 {
		id := fmt.Sprintf("L%d", i)
		switch {
		case i%13 == 4:
			in.WriteString("  \n") // blank: no result
		case i%7 == 3:
			fmt.Fprintf(&in, "{\"id\":%q,\"text\":%d}\n", id, i)
			wants[int64(i)] = want{id: id, errPre: fmt.Sprintf(`line %d: "text" must be a string`, i+1)}
		default:
			var text strings.Builder
			for k := range 1 + (i*7)%29 {
				text.WriteString(words[(i+k)%len(words)] + " ")
			}
			fmt.Fprintf(&text, "ticket %d", i)
			fmt.Fprintf(&in, "{\"id\":%q,\"text\":%q}\n", id, text.String())
			res := make([]classify.Result, 1)
			model.Classify([]string{text.String()}, res)
			if res[0].Tokens != clf.Tokens(text.String()) {
				t.Fatalf("line %d: the model counts %d tokens, the tokenizer %d", i+1, res[0].Tokens, clf.Tokens(text.String()))
			}
			wants[int64(i)] = want{id: id, tokens: res[0].Tokens, label: res[0].Label, conf: res[0].Confidence}
		}
	}
	for _, cfg := range []struct{ workers, chunk int }{{1, 64}, {2, 7}, {3, 256}, {2, 1}} {
		out := process(t, in.String(), spec, cfg.workers, Limits{ChunkLines: cfg.chunk})
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(lines) != len(wants) {
			t.Fatalf("workers=%d chunk=%d: %d results for %d non-blank lines", cfg.workers, cfg.chunk, len(lines), len(wants))
		}
		prev := int64(-1)
		for _, l := range lines {
			var r struct {
				Index      int64   `json:"index"`
				ID         string  `json:"id"`
				Label      string  `json:"label"`
				Confidence float64 `json:"confidence"`
				Tokens     int     `json:"tokens"`
				Error      string  `json:"error"`
			}
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatalf("result %q: %v", l, err)
			}
			w, ok := wants[r.Index]
			switch {
			case !ok || r.Index <= prev:
				t.Fatalf("workers=%d chunk=%d: result %s after index %d: not the next non-blank line", cfg.workers, cfg.chunk, l, prev)
			case r.ID != w.id:
				t.Fatalf("workers=%d chunk=%d: result %s carries id %q, want %q", cfg.workers, cfg.chunk, l, r.ID, w.id)
			case w.errPre != "" && !strings.HasPrefix(r.Error, w.errPre):
				t.Fatalf("workers=%d chunk=%d: %s, want an error starting %q", cfg.workers, cfg.chunk, l, w.errPre)
			case w.errPre == "" && (r.Error != "" || r.Tokens != w.tokens || r.Label != w.label || r.Confidence != w.conf):
				t.Fatalf("workers=%d chunk=%d: %s is not its line's answer (tokens %d, %s %v)", cfg.workers, cfg.chunk, l, w.tokens, w.label, w.conf)
			}
			prev = r.Index
		}
	}
}
