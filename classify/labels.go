package classify

import (
	"slices"
	"strings"
)

// What a label means to the classifier, beyond its vectors: whether it is a catch-all, and
// which words stand for it when the user gave no description.

// catchAllWords are label names (or their first word) that mean "none of the other labels"
// in English label sets, and catchAllDescs are how descriptions of such labels begin. This
// is a list of how people name a catch-all class ("out of scope" is the usual name in
// intent detection), not of topic words: it is independent of any dataset or text.
var (
	catchAllWords = []string{"other", "others", "none", "misc", "miscellaneous", "unknown",
		"unclassified", "uncategorized", "uncategorised", "rest", "n/a", "else", "everything else",
		"anything else", "something else", "none of the above", "not applicable", "out of scope",
		"out-of-scope", "off topic", "off-topic", "irrelevant", "not relevant"}
	catchAllDescs = []string{"any other", "anything else", "everything else", "all other",
		"none of the", "something else", "other "}
)

// isCatchAll reports whether a label is a catch-all: its whole name or its first word is in
// catchAllWords ("other", "Other topics", "none"), or its description begins with one of
// catchAllDescs ("Any other news story.").
func isCatchAll(label, desc string) bool {
	name := strings.ToLower(strings.Join(strings.Fields(label), " "))
	first, _, _ := strings.Cut(name, " ")
	for _, w := range catchAllWords {
		if name == w || first == w {
			return true
		}
	}
	desc = strings.ToLower(strings.Join(strings.Fields(desc), " "))
	for _, p := range catchAllDescs {
		if strings.HasPrefix(desc, p) {
			return true
		}
	}
	return false
}

// isComplement reports whether label is the negation of another label of the set: "not
// spam" next to "spam", "non-toxic" next to "toxic". Such a label has no topic of its own
// (its vector is nearly its opposite's: "not" weighs little), so it is scored like a
// catch-all: it wins when the text does not clearly match the label it negates.
func isComplement(label string, labels []string) bool { return complementOf(label, labels) >= 0 }

// complementOf returns the index in labels of the label that label negates (isComplement), or -1.
func complementOf(label string, labels []string) int {
	n := strings.ToLower(strings.Join(strings.Fields(label), " "))
	for _, pre := range []string{"not ", "non ", "non-", "no ", "un-"} {
		rest, ok := strings.CutPrefix(n, pre)
		if !ok || rest == "" {
			continue
		}
		for i, l := range labels {
			if strings.ToLower(strings.Join(strings.Fields(l), " ")) == rest {
				return i
			}
		}
	}
	return -1
}

// catchAlls marks the labels of spec scored as catch-alls: catch-all names and descriptions,
// and complements of other labels. If every label would be one, none is: catch-alls only
// make sense next to specific labels.
func catchAlls(spec Spec) []bool {
	out := make([]bool, len(spec.Labels))
	all := true
	for i, label := range spec.Labels {
		out[i] = isCatchAll(label, spec.Descriptions[label]) || isComplement(label, spec.Labels)
		all = all && out[i]
	}
	if all {
		clear(out)
	}
	return out
}

// Expansion returns the words a label is expanded with when spec gives it no description:
// the built-in glossary's plain descriptive words for common label names (glossary.txt),
// or nil. A description, when given, replaces the expansion: it is the user's own word on
// what the label means.
//
// Two labels of one spec that the glossary reads alike ("flight" and "airfare", or aliases of
// one entry) get no expansion: words they share cannot tell them apart, and they would make
// the two labels' prototypes nearly the same.
func Expansion(spec Spec, label string) []string {
	if spec.Descriptions[label] != "" {
		return nil
	}
	i, ok := glossaryIndex(label)
	if !ok {
		return nil
	}
	for _, other := range spec.Labels {
		if other == label || spec.Descriptions[other] != "" {
			continue
		}
		if j, ok := glossaryIndex(other); ok && j == i {
			return nil
		}
	}
	words, _ := glossaryLookup(label)
	// An expansion term that names another label of the spec would pull that label's texts
	// towards this one ("flights" in airline's expansion, next to a label "flight"). Only the
	// content words of the other names count: "not working" stays in technical's expansion
	// next to a label "not urgent".
	others := map[string]bool{}
	for _, other := range spec.Labels {
		if other == label {
			continue
		}
		for _, w := range strings.Fields(strings.ToLower(other)) {
			if !nameFunctionWords[w] {
				others[w] = true
				others[w+"s"] = true
			}
		}
	}
	var out []string
	for _, w := range words {
		if !slices.ContainsFunc(strings.Fields(w), func(x string) bool { return others[x] }) {
			out = append(out, w)
		}
	}
	return out
}

// nameFunctionWords are the words of label names that say nothing of a topic.
var nameFunctionWords = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "and": true, "or": true, "not": true, "no": true,
	"non": true, "for": true, "to": true, "in": true, "on": true, "with": true, "by": true, "at": true,
	"is": true, "my": true, "your": true, "other": true, "&": true, "/": true, "-": true,
}

// Expansions returns Expansion for every label of spec that has one (nil if none does), so
// that responses can show what a label was read as.
func Expansions(spec Spec) map[string][]string {
	var out map[string][]string
	for _, label := range spec.Labels {
		if w := Expansion(spec, label); w != nil {
			if out == nil {
				out = map[string][]string{}
			}
			out[label] = w
		}
	}
	return out
}
