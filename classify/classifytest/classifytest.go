// Package classifytest is the contract every model provider passes: each provider's tests
// call Run with a model (the built-in, a static model, a server with the OpenAI API behind
// classify/modeltest's fake), so that what the pipeline and the server rely on holds for
// all of them. NewBuiltin and Builtin (builtin.go) give tests of packages that must not
// import a provider (batch, server) the built-in model as the factory builds it.
package classifytest

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/classer-ai/classer-batch/classify"
)

// Provider is a model under test.
type Provider struct {
	Model classify.Classifier
	// Unanswerable, if set, is a text the model cannot answer (a fault the test injected,
	// such as modeltest.OpenAIServer's BadDims): it must fail alone, with Result.Err.
	Unanswerable string
}

// Spec is the suite's spec; Texts are texts it fits and classifies. Their words are
// common enough that every test model knows them.
var (
	Spec = classify.Spec{Labels: []string{"billing", "technical", "sales"}, Descriptions: map[string]string{
		"billing":   "invoice charge payment refund",
		"technical": "error crash bug server",
		"sales":     "price quote demo plan",
	}}
	Texts = []string{
		"please refund the invoice charge", "the server shows an error after the crash", "can we get a price quote and a demo",
		"refund my payment", "another crash and a bug", "what plan and price",
	}
)

// Run runs the contract against p: spec validation, determinism, a batch answered as its
// texts one by one, token counts, cancellation, errors per text, concurrent use and, for a
// Fitter, the fit state's round trip; in single and multi mode.
func Run(t *testing.T, p Provider) {
	t.Run("validation", func(t *testing.T) { validation(t, p.Model) })
	for _, mode := range []string{classify.ModeSingle, classify.ModeMulti} {
		spec := Spec
		spec.Mode = mode
		t.Run(mode, func(t *testing.T) {
			m, err := p.Model.Compile(spec)
			if err != nil {
				t.Fatalf("Compile: %v", err)
			}
			answers(t, p.Model, spec, m)
			t.Run("deterministic", func(t *testing.T) {
				again, err := p.Model.Compile(spec)
				if err != nil {
					t.Fatalf("Compile: %v", err)
				}
				if a, b := classifyAll(t, m, Texts), classifyAll(t, again, Texts); !reflect.DeepEqual(a, b) {
					t.Errorf("two compiles of one spec answer differently:\n%+v\n%+v", a, b)
				}
			})
			t.Run("cancel", func(t *testing.T) { cancel(t, m) })
			if p.Unanswerable != "" {
				t.Run("per-text errors", func(t *testing.T) { perText(t, m, p.Unanswerable) })
			}
			if f, ok := p.Model.(classify.Fitter); ok {
				t.Run("fit", func(t *testing.T) { fit(t, p.Model, f, spec) })
			}
		})
	}
}

// validation: a spec that cannot be used is a *classify.ValidationError, from Compile and
// from Fit.
func validation(t *testing.T, clf classify.Classifier) {
	bad := []classify.Spec{
		{},
		{Labels: []string{"billing", "billing"}},
		{Labels: []string{"billing", "sales"}, Mode: "several"},
	}
	for _, spec := range bad {
		var ve *classify.ValidationError
		if _, err := clf.Compile(spec); !errors.As(err, &ve) {
			t.Errorf("Compile(%+v): %v, want a *ValidationError", spec, err)
		}
		if f, ok := clf.(classify.Fitter); ok {
			if _, err := f.Fit(spec, Texts); !errors.As(err, &ve) {
				t.Errorf("Fit(%+v): %v, want a *ValidationError", spec, err)
			}
		}
	}
}

// answers: every answer is well formed and counts the text's tokens as Tokens does; a
// batch is answered as its texts one by one; concurrent calls answer as one call does.
func answers(t *testing.T, clf classify.Classifier, spec classify.Spec, m classify.Model) {
	t.Helper()
	all := classifyAll(t, m, Texts)
	for i, r := range all {
		if r.Err != "" {
			t.Errorf("%q: %s", Texts[i], r.Err)
			continue
		}
		if n := clf.Tokens(Texts[i]); r.Tokens != n || n == 0 {
			t.Errorf("%q: %d tokens, Tokens says %d", Texts[i], r.Tokens, n)
		}
		wellFormed(t, spec, Texts[i], r)
	}
	for i, text := range Texts {
		if one := classifyAll(t, m, []string{text}); !reflect.DeepEqual(one[0], all[i]) {
			t.Errorf("%q alone: %+v, in a batch: %+v", text, one[0], all[i])
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got := classifyAll(t, m, Texts); !reflect.DeepEqual(got, all) {
				t.Errorf("a concurrent call answered differently:\n%+v\n%+v", got, all)
			}
		}()
	}
	wg.Wait()
}

func wellFormed(t *testing.T, spec classify.Spec, text string, r classify.Result) {
	t.Helper()
	if spec.Mode == classify.ModeMulti {
		for _, l := range r.Labels {
			if !slices.Contains(spec.Labels, l.Label) || l.Confidence < 0 || l.Confidence > 1 {
				t.Errorf("%q: %+v is not a label with a confidence", text, l)
			}
		}
		return
	}
	if !slices.Contains(spec.Labels, r.Label) || r.Confidence < 0 || r.Confidence > 1 {
		t.Errorf("%q: %+v is not a label with a confidence", text, r)
	}
}

// cancel: a model that waits on a server stops when its call is cancelled, with the
// cancel's cause. A local model has nothing to wait on.
func cancel(t *testing.T, m classify.Model) {
	cm, ok := m.(classify.ContextModel)
	if !ok {
		t.Skip("a local model: its calls do not wait")
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("cancelled by the test")
	cancel(cause)
	if err := cm.ClassifyContext(ctx, Texts, make([]classify.Result, len(Texts))); !errors.Is(err, cause) {
		t.Errorf("a cancelled call: %v, want the cancel's cause", err)
	}
}

// perText: a text the model cannot answer fails alone; the call and the other texts do not.
func perText(t *testing.T, m classify.Model, bad string) {
	texts := []string{Texts[0], bad, Texts[1]}
	out := make([]classify.Result, len(texts))
	if cm, ok := m.(classify.ContextModel); ok {
		if err := cm.ClassifyContext(context.Background(), texts, out); err != nil {
			t.Fatalf("the call failed: %v, want only the text %q to", err, bad)
		}
	} else {
		m.Classify(texts, out)
	}
	if out[1].Err == "" || out[0].Err != "" || out[2].Err != "" {
		t.Errorf("answers %+v, want an error for %q alone", out, bad)
	}
}

// fit: Fit is deterministic; its state compiles into a model that passes the same checks
// and that two compiles agree on; a nil state is Compile; a state for another spec is
// refused.
func fit(t *testing.T, clf classify.Classifier, f classify.Fitter, spec classify.Spec) {
	var sample []string
	for range 10 {
		sample = append(sample, Texts...)
	}
	state, err := f.Fit(spec, sample)
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	again, err := f.Fit(spec, sample)
	if err != nil {
		t.Fatalf("Fit: %v", err)
	}
	if !bytes.Equal(state, again) {
		t.Error("two fits of one spec and sample gave different states")
	}
	m, err := f.CompileFitted(spec, state)
	if err != nil {
		t.Fatalf("CompileFitted: %v", err)
	}
	answers(t, clf, spec, m)
	m2, err := f.CompileFitted(spec, state)
	if err != nil {
		t.Fatalf("CompileFitted: %v", err)
	}
	if a, b := classifyAll(t, m, Texts), classifyAll(t, m2, Texts); !reflect.DeepEqual(a, b) {
		t.Errorf("two compiles of one state answer differently:\n%+v\n%+v", a, b)
	}
	plain, err := f.CompileFitted(spec, nil)
	if err != nil {
		t.Fatalf("CompileFitted with no state: %v", err)
	}
	rt, err := clf.Compile(spec)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := classifyAll(t, plain, Texts), classifyAll(t, rt, Texts); !reflect.DeepEqual(a, b) {
		t.Errorf("CompileFitted with no state is not Compile:\n%+v\n%+v", a, b)
	}
	other := spec
	other.Labels, other.Descriptions = spec.Labels[:2], nil
	if _, err := f.CompileFitted(other, state); err == nil {
		t.Error("a state fitted for 3 labels compiled for a spec of 2")
	}
}

// classifyAll answers texts with m (through ClassifyContext when m has it, failing the test
// if the call fails).
func classifyAll(t *testing.T, m classify.Model, texts []string) []classify.Result {
	t.Helper()
	out := make([]classify.Result, len(texts))
	if cm, ok := m.(classify.ContextModel); ok {
		if err := cm.ClassifyContext(context.Background(), texts, out); err != nil {
			t.Errorf("ClassifyContext: %v", err)
		}
		return out
	}
	m.Classify(texts, out)
	return out
}
