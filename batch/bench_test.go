package batch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/classify"
)

// Hot-path benchmarks (issue 8). `.ci/run` runs them once with -benchtime=1x; no timing
// is asserted anywhere.

// benchCorpus is ~2 MB of ~190-byte ticket lines: ids, escapes, unicode, extra fields.
func benchCorpus() []byte {
	var b bytes.Buffer
	texts := []string{
		`I was charged twice on my credit card this month and the invoice still shows the old plan, can you please refund the duplicate payment?`,
		`The mobile app keeps crashing whenever I try to upload a photo larger than 5 MB; I've reinstalled it twice and it doesn't help at all.`,
		`Wheat prices rise as drought hits the Midwest\nTrading in Tokyo (東京) and Seoul was subdued; the café in São Paulo doubled its prices.`,
		`The admin says the error message is \"unknown failure\" and the order number is #4711. Cheers \u2014 Jos\u00e9 \ud83d\ude00`,
	}
	for i := 0; b.Len() < 2<<20; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, `{"id":%d,"text":"%s"}`+"\n", i, texts[i%len(texts)])
		case 1:
			fmt.Fprintf(&b, `{"id":"t-%d","text":"%s","source":"email","priority":2}`+"\n", i, texts[i%len(texts)])
		default:
			fmt.Fprintf(&b, `{"text":"%s"}`+"\n", texts[i%len(texts)])
		}
	}
	return b.Bytes()
}

func BenchmarkLineScan(b *testing.B) {
	data := benchCorpus()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		lr := newLineReader(bytes.NewReader(data), 1<<20, 1<<20)
		for {
			if _, err := lr.next(); err == io.EOF {
				break
			}
		}
	}
}

func corpusLines(data []byte) [][]byte {
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

func BenchmarkParseLine(b *testing.B) {
	data := benchCorpus()
	lines := corpusLines(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var scratch []byte
	for b.Loop() {
		scratch = scratch[:0]
		for _, l := range lines {
			if _, err := parseLineBuf(l, 100_000, &scratch); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkParseLineJSON is the encoding/json path every line took before the scanner.
func BenchmarkParseLineJSON(b *testing.B) {
	data := benchCorpus()
	lines := corpusLines(data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			if _, err := parseLineSlow(l, 100_000); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkEncodeResult(b *testing.B) {
	spec := testSpec(b, classify.ModeSingle)
	enc := newResultEncoder(spec)
	r := classify.Result{Label: "technical", Confidence: 0.8123, Tokens: 31}
	id := []byte(`"t-123456"`)
	var dst []byte
	b.ReportAllocs()
	for b.Loop() {
		dst = dst[:0]
		for i := range 256 {
			dst = enc.appendResult(dst, int64(i), id, false, &r)
		}
	}
	b.SetBytes(int64(len(dst)))
}

func benchPipeline(b *testing.B, nLabels int, workers int) {
	data := benchCorpus()
	labels := []string{"billing", "technical", "sales"}
	words := strings.Fields("shipping refund account login security privacy hardware software network printer delivery invoice pricing contract upgrade cancellation feedback complaint praise bug feature performance outage sports politics science health weather travel food music")
	for i := 0; len(labels) < nLabels; i++ {
		l := words[i%len(words)]
		if i >= len(words) {
			l = fmt.Sprintf("%s %d", l, i/len(words))
		}
		labels = append(labels, l)
	}
	spec := classify.Spec{Labels: labels[:nLabels], Mode: classify.ModeSingle}
	if err := spec.Normalize(classify.DefaultBatchThreshold); err != nil {
		b.Fatal(err)
	}
	model := testModel(b, spec)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Process(context.Background(), bytes.NewReader(data), io.Discard, spec, model, workers, Limits{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPipeline(b *testing.B) {
	for _, n := range []int{3, 50, 200} {
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("labels=%d/workers=%d", n, w), func(b *testing.B) { benchPipeline(b, n, w) })
		}
	}
}
