package classify

import (
	"math"
	"reflect"
	"testing"
)

func TestExpansions(t *testing.T) {
	spec := Spec{Labels: []string{"technical", "Billing", "zzqx made-up label"}, Descriptions: map[string]string{"Billing": "invoices and payments"}}
	got := Expansions(spec)
	if len(got) != 1 || len(got["technical"]) == 0 {
		t.Fatalf("Expansions = %v, want technical only (billing has a description, the made-up label no entry)", got)
	}
	words, _ := glossaryLookup("technical")
	if !reflect.DeepEqual(got["technical"], words) {
		t.Fatalf("technical expanded with %v, want the glossary's %v", got["technical"], words)
	}
	if Expansions(Spec{Labels: []string{"zzqx"}}) != nil {
		t.Fatal("no expansion should give nil")
	}
}

func TestIsComplement(t *testing.T) {
	labels := []string{"spam", "Not Spam", "toxic", "non-toxic", "urgent", "no  urgent", "notable"}
	for _, tc := range []struct {
		label string
		want  bool
	}{{"spam", false}, {"Not Spam", true}, {"non-toxic", true}, {"no  urgent", true}, {"notable", false}, {"not relevant", false}} {
		if got := isComplement(tc.label, labels); got != tc.want {
			t.Errorf("isComplement(%q) = %v, want %v", tc.label, got, tc.want)
		}
	}
}

// TestTextTypeContext: a text_type is taken out of every prototype (they end up orthogonal
// to it), so it changes the scores: the answers are no longer those without it.
func TestTextTypeContext(t *testing.T) {
	b := testBuiltin(t)
	spec := Spec{Labels: []string{"positive", "negative", "neutral"}, Descriptions: map[string]string{
		"positive": "A tweet expressing a positive feeling.",
		"negative": "A tweet expressing a negative feeling.",
		"neutral":  "A tweet that is neither positive nor negative.",
	}}
	withType := spec
	withType.TextType = "tweets"
	var tk tokenizer
	ctx := b.context(&tk, withType.TextType)
	if ctx == nil {
		t.Fatal("no context vector for \"tweets\"")
	}
	m := compile(t, withType).(*model)
	d := b.dims
	for l := range spec.Labels {
		var dot float64
		for j := range d {
			dot += float64(m.protos[l*d+j] * ctx[j])
		}
		if math.Abs(dot) > 1e-4 {
			t.Errorf("%s: prototype·context = %.5f, want 0", spec.Labels[l], dot)
		}
	}
	texts := []string{"just got home, what a day", "love this so much", "worst service ever"}
	a, bb := classifyAll(t, compile(t, spec), texts), classifyAll(t, compile(t, withType), texts)
	if reflect.DeepEqual(a, bb) {
		t.Fatal("text_type changed nothing")
	}
	// The batch fit takes it out of its prototypes too.
	s1, _ := b.Fit(spec, texts)
	s2, _ := b.Fit(withType, texts)
	if reflect.DeepEqual(s1, s2) {
		t.Fatal("text_type changed nothing in the fit")
	}
}
