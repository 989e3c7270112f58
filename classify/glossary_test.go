package classify

import (
	"slices"
	"strings"
	"testing"
)

// TestGlossaryParses parses the embedded glossary fully (the loader panics on a malformed
// file, so this is where a broken edit shows up) and checks the size of every entry.
func TestGlossaryParses(t *testing.T) {
	g, err := parseGlossary(glossaryFile)
	if err != nil {
		t.Fatalf("glossary.txt: %v", err)
	}
	aliases := 0
	for _, e := range g.entries {
		aliases += len(e.aliases)
		if n := len(e.words); n < 8 || n > 30 {
			t.Errorf("line %d (%s): %d words, want 8..30", e.line, e.aliases[0], n)
		}
	}
	if len(g.entries) < 400 {
		t.Errorf("%d entries, want at least 400", len(g.entries))
	}
	t.Logf("%d entries, %d aliases", len(g.entries), aliases)
}

// TestGlossaryDuplicateAliases reports every alias that appears in two entries with both
// line numbers (parseGlossary stops at the first; this lists them all).
func TestGlossaryDuplicateAliases(t *testing.T) {
	first := map[string]int{}
	for n, line := range strings.Split(glossaryFile, "\n") {
		n++
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names, _, _ := strings.Cut(line, "|")
		for _, a := range strings.Split(names, ",") {
			a = glossaryNorm(a)
			if prev, dup := first[a]; dup {
				t.Errorf("alias %q on line %d and line %d", a, prev, n)
				continue
			}
			first[a] = n
		}
	}
	// The parser must refuse such a file too, naming both lines.
	_, err := parseGlossary("a, b | x, y\nc, b | z, w\n")
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("duplicate alias: got error %v, want one naming lines 1 and 2", err)
	}
}

// TestGlossaryMalformed checks that the parser refuses what the format does not allow.
func TestGlossaryMalformed(t *testing.T) {
	for _, s := range []string{
		"",                        // no entries
		"# only a comment\n",      // no entries
		"billing invoice, bill\n", // no '|'
		"a | b | c\n",             // two '|'
		"a, , b | x\n",            // empty alias
		" | x, y\n",               // no alias
		"a | x, , y\n",            // empty word
		"a | \n",                  // no words
		"Billing | x\n",           // alias not normalised
		"tech-support | x\n",      // alias not normalised
		"a, a | x\n",              // alias twice in one entry
		"a | x, y, x\n",           // word twice in one entry
	} {
		if _, err := parseGlossary(s); err == nil {
			t.Errorf("parseGlossary(%q): no error", s)
		}
	}
	g, err := parseGlossary("# c\n\n a , b c | X,  two  words \n")
	if err != nil {
		t.Fatal(err)
	}
	if e := g.entries[0]; e.line != 3 || !slices.Equal(e.aliases, []string{"a", "b c"}) ||
		!slices.Equal(e.words, []string{"x", "two words"}) {
		t.Errorf("got %+v", e)
	}
}

// testGlossary returns the parsed glossary, failing the test (instead of letting the loader
// panic and abort the whole run) if the embedded file does not parse.
func testGlossary(t *testing.T) *glossaryTable {
	t.Helper()
	if _, err := parseGlossary(glossaryFile); err != nil {
		t.Fatalf("glossary.txt: %v", err)
	}
	return glossary()
}

// TestGlossaryNoCatchAll: catch-all labels ("other", "none", ...) are scored separately by
// the classifier, so the glossary must not describe them.
func TestGlossaryNoCatchAll(t *testing.T) {
	for _, e := range testGlossary(t).entries {
		for _, a := range e.aliases {
			if isCatchAll(a, "") {
				t.Errorf("line %d: catch-all alias %q", e.line, a)
			}
		}
	}
}

func TestGlossaryLookup(t *testing.T) {
	testGlossary(t)
	tech, ok := glossaryLookup("technical")
	if !ok || len(tech) == 0 {
		t.Fatal(`"technical" not found`)
	}
	for _, label := range []string{
		"Technical_Support", "tech-support", "  TECHNICAL  support ", "technical/support",
		"Technical Issues", "Technical issue", "#technical!", "(technical)",
	} {
		w, ok := glossaryLookup(label)
		if !ok || !slices.Equal(w, tech) {
			t.Errorf("glossaryLookup(%q) = %v, %v; want the entry of \"technical\"", label, w, ok)
		}
	}
	refund, _ := glossaryLookup("refund")
	for _, label := range []string{"Refunds", "REFUND", "refund-request", "Refund Requests"} {
		if w, ok := glossaryLookup(label); !ok || !slices.Equal(w, refund) {
			t.Errorf("glossaryLookup(%q) = %v, %v; want the entry of \"refund\"", label, w, ok)
		}
	}
	// '&' reads as "and".
	hk, _ := glossaryLookup("home and kitchen")
	if w, ok := glossaryLookup("Home & Kitchen"); !ok || !slices.Equal(w, hk) {
		t.Errorf(`"Home & Kitchen" = %v, %v`, w, ok)
	}
	// Plural/singular fallback in both directions: strip "s", strip "es", add "s".
	for _, c := range []struct{ label, as string }{
		{"complaints", "complaint"}, // exact alias both ways
		{"feature requests", "feature request"},
		{"billing issueses", "billing issues"}, // strip "es" then exact (contrived but predictable)
		{"sport", "sports"},
		{"movies", "movie"},
		{"urgents", "urgent"},
		{"hate speeches", "hate speech"},
		{"phishing attempts", "phishing attempt"},
	} {
		a, ok1 := glossaryLookup(c.label)
		b, ok2 := glossaryLookup(c.as)
		if !ok1 || !ok2 || !slices.Equal(a, b) {
			t.Errorf("glossaryLookup(%q) = %v, %v; want the entry of %q (%v)", c.label, a, ok1, c.as, ok2)
		}
	}
	for _, label := range []string{"", "  ", "---", "other", "none", "misc", "xyzzy plugh"} {
		if w, ok := glossaryLookup(label); ok {
			t.Errorf("glossaryLookup(%q) = %v, want no entry", label, w)
		}
	}
	// The result belongs to the caller.
	w, _ := glossaryLookup("billing")
	w[0] = "changed"
	if w2, _ := glossaryLookup("billing"); w2[0] == "changed" {
		t.Error("glossaryLookup returned the table's own slice")
	}
}

func TestGlossaryNorm(t *testing.T) {
	for in, want := range map[string]string{
		"Technical_Support": "technical support",
		"tech-support":      "tech support",
		"  Sci/Tech ":       "sci tech",
		"Home & Kitchen":    "home and kitchen",
		"home&kitchen":      "home and kitchen",
		"\"Urgent!\"":       "urgent",
		"#billing":          "billing",
		"U.S. News":         "u.s. news",
		"1-star":            "1 star",
		"very\tnegative\n":  "very negative",
		"__spam__":          "spam",
		"":                  "",
		"?!":                "",
	} {
		if got := glossaryNorm(in); got != want {
			t.Errorf("glossaryNorm(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGlossaryVocabulary checks that every word of every descriptive phrase is in the
// built-in model's vocabulary: a word the model does not know adds nothing to a label.
func TestGlossaryVocabulary(t *testing.T) {
	b := testBuiltin(t)
	unknown := 0
	for _, e := range testGlossary(t).entries {
		for _, phrase := range e.words {
			for _, w := range strings.Split(phrase, " ") {
				if b.w.Row(strings.ToLower(w)) < 0 {
					t.Errorf("line %d (%s): %q (in %q) is not in the vocabulary", e.line, e.aliases[0], w, phrase)
					unknown++
				}
			}
		}
	}
	if unknown > 0 {
		t.Logf("%d unknown words", unknown)
	}
}
