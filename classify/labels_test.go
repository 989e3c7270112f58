package classify

import (
	"math"
	"reflect"
	"slices"
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

// TestTextTypeContext: a batch fit takes the text_type out of every prototype (they end up
// orthogonal to it), so it changes the fitted answers. Real-time calls do not use it: the
// z-scored prototypes of Compile are calibrated against running text, and taking the
// context out of them cost real-time macro-F1 (EVAL.md, "What was tried").
func TestTextTypeContext(t *testing.T) {
	b := testBuiltin(t)
	spec := Spec{Labels: []string{"positive", "negative", "neutral"}, Descriptions: map[string]string{
		"positive": "A tweet expressing a positive feeling.",
		"negative": "A tweet expressing a negative feeling.",
		"neutral":  "A tweet that is neither positive nor negative.",
	}}
	withType := spec
	withType.TextType = "tweets"
	read := b.w.Reader()
	ctx := b.context(read, withType.TextType)
	if ctx == nil {
		t.Fatal("no context vector for \"tweets\"")
	}
	for _, label := range spec.Labels {
		p := make([]float32, b.dims)
		b.batchPrototype(read, withType, label, ctx, p)
		var dot float64
		for j := range p {
			dot += float64(p[j] * ctx[j])
		}
		if math.Abs(dot) > 1e-4 {
			t.Errorf("%s: prototype·context = %.5f, want 0", label, dot)
		}
	}
	texts := []string{"just got home, what a day", "love this so much", "worst service ever", "the bus is late again"}
	fitted := func(s Spec) []Result {
		state, err := b.Fit(s, texts)
		if err != nil {
			t.Fatal(err)
		}
		m, err := b.CompileFitted(s, state)
		if err != nil {
			t.Fatal(err)
		}
		return classifyAll(t, m, texts)
	}
	if reflect.DeepEqual(fitted(spec), fitted(withType)) {
		t.Fatal("text_type changed nothing in a batch fit")
	}
}

// TestExpansionSharedEntry: two labels the glossary reads alike get no expansion (its words
// cannot tell them apart); either one next to an unrelated label keeps it.
func TestExpansionSharedEntry(t *testing.T) {
	i, ok1 := glossaryIndex("refund")
	j, ok2 := glossaryIndex("refunds")
	if !ok1 || !ok2 || i != j {
		t.Fatal("refund and refunds should read as one glossary entry")
	}
	if got := Expansions(Spec{Labels: []string{"refund", "refunds", "technical"}}); len(got) != 1 || got["technical"] == nil {
		t.Fatalf("Expansions = %v, want only technical", got)
	}
	if got := Expansions(Spec{Labels: []string{"refund", "technical"}}); got["refund"] == nil {
		t.Fatalf("refund alone lost its expansion: %v", got)
	}
	// A description on one of the two gives the other its expansion back.
	got := Expansions(Spec{Labels: []string{"refund", "refunds"}, Descriptions: map[string]string{"refunds": "money sent back"}})
	if got["refund"] == nil {
		t.Fatalf("refund has no sibling without a description, want its expansion: %v", got)
	}
}

// TestExpansionDropsOtherLabels: a label's expansion never names another label of the spec
// (singular or plural), which would pull that label's texts towards it.
func TestExpansionDropsOtherLabels(t *testing.T) {
	words, _ := glossaryLookup("airline")
	if !slices.Contains(words, "flights") || !slices.Contains(words, "airport") {
		t.Fatalf("the glossary's airline entry changed (%v); pick another pair for this test", words)
	}
	got := Expansion(Spec{Labels: []string{"airline", "flight", "airport code"}}, "airline")
	for _, w := range []string{"flight", "flights", "airport"} {
		if slices.Contains(got, w) {
			t.Errorf("airline's expansion %v names another label (%q)", got, w)
		}
	}
	if len(got) != len(words)-3 || !slices.Contains(got, "airlines") {
		t.Errorf("airline's expansion %v: want the glossary's %v without flight, flights and airport", got, words)
	}
}

// TestExpansionKeepsFunctionWords: the function words of other labels' names ("not", "of") do
// not strip expansion terms that contain them.
func TestExpansionKeepsFunctionWords(t *testing.T) {
	words, _ := glossaryLookup("technical")
	if !slices.Contains(words, "not working") {
		t.Fatalf("the glossary's technical entry changed (%v); pick another term for this test", words)
	}
	if got := Expansion(Spec{Labels: []string{"technical", "not urgent", "day of week"}}, "technical"); !slices.Equal(got, words) {
		t.Fatalf("technical's expansion next to 'not urgent' and 'day of week' = %v, want the glossary's %v", got, words)
	}
}
