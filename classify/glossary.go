package classify

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
)

// glossaryFile is a built-in glossary of common label names (support departments and ticket
// categories, banking and e-commerce intents, moderation, sentiment and emotions, news and
// content topics, assistant intents, document types, review aspects, ...), each with plain
// descriptive words: what texts of that class typically say. A label name alone ("technical")
// does not tell static word vectors that "the app keeps crashing" belongs to it; the words do.
//
// Format, one entry a line (blank lines and lines starting with '#' are ignored):
//
//	alias, alias, ... | word or short phrase, word or short phrase, ...
//
// The aliases are label names that mean the same class, written normalised (glossaryNorm).
// The words are written from general knowledge of what people classify, not from any data set.
//
//go:embed glossary.txt
var glossaryFile string

// glossaryEntry is one line of the glossary.
type glossaryEntry struct {
	line    int      // 1-based line in glossary.txt
	aliases []string // normalised label names
	words   []string // descriptive words and short phrases, lower case, in file order
}

// glossaryTable is the parsed glossary: read-only once built.
type glossaryTable struct {
	entries []glossaryEntry
	byAlias map[string]int // normalised alias -> index in entries
}

// glossary parses the embedded file once. The file is a build-time constant and
// TestGlossaryParses parses it fully, so a malformed file is a broken build: panic.
var glossary = sync.OnceValue(func() *glossaryTable {
	g, err := parseGlossary(glossaryFile)
	if err != nil {
		panic("classify: glossary.txt: " + err.Error())
	}
	return g
})

// glossaryLookup returns the descriptive words of the glossary entry that label names, in
// file order, and whether there is one. The label is normalised (glossaryNorm) and matched
// exactly; failing that, one simple plural/singular variant is tried in this order: without a
// trailing "s", without a trailing "es", with an "s" added. The returned slice is the caller's.
func glossaryLookup(label string) (words []string, ok bool) {
	i, ok := glossaryIndex(label)
	if !ok {
		return nil, false
	}
	return slices.Clone(glossary().entries[i].words), true
}

// glossaryIndex returns the index of the entry that label names (see glossaryLookup).
func glossaryIndex(label string) (int, bool) {
	g := glossary()
	key := glossaryNorm(label)
	if key == "" {
		return 0, false
	}
	i, ok := g.byAlias[key]
	if !ok {
		for _, v := range pluralVariants(key) {
			if i, ok = g.byAlias[v]; ok {
				break
			}
		}
	}
	return i, ok
}

// pluralVariants returns the plural/singular forms of a normalised label that the lookup tries
// after an exact miss: strip "s" (not "ss": "business", "access"), strip "es", add "s".
func pluralVariants(key string) []string {
	var v []string
	if strings.HasSuffix(key, "s") && !strings.HasSuffix(key, "ss") && len(key) > 3 {
		v = append(v, key[:len(key)-1])
	}
	if strings.HasSuffix(key, "es") && len(key) > 4 {
		v = append(v, key[:len(key)-2])
	}
	if !strings.HasSuffix(key, "s") {
		v = append(v, key+"s")
	}
	return v
}

// glossaryNorm normalises a label name for lookup: lower case; '_', '-', '/' and runs of white
// space become one space; '&' becomes "and" ("Home & Kitchen"); punctuation and symbols around
// the name are dropped ("#billing", "Urgent!", "(spam)"), those inside it kept ("u.s. news").
func glossaryNorm(label string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(label) {
		switch {
		case r == '_' || r == '-' || r == '/' || unicode.IsSpace(r):
			space = true
			continue
		case r == '&':
			space = true
			if b.Len() > 0 {
				b.WriteString(" and")
			} else {
				b.WriteString("and")
			}
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	s := b.String()
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	s = strings.TrimFunc(s, func(r rune) bool { return !isWord(r) })
	// Trimming punctuation may expose spaces ("( spam )"); and "&" alone gives "and".
	return strings.TrimSpace(s)
}

// parseGlossary parses the glossary format (see glossaryFile). Every alias must be non-empty,
// already normalised and unique across the file; every entry needs at least one word, and the
// words must be non-empty and unique within their entry.
func parseGlossary(s string) (*glossaryTable, error) {
	g := &glossaryTable{byAlias: make(map[string]int)}
	for n, line := range strings.Split(s, "\n") {
		n++ // 1-based
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names, desc, ok := strings.Cut(line, "|")
		if !ok {
			return nil, fmt.Errorf("line %d: no '|' between aliases and words", n)
		}
		if strings.Contains(desc, "|") {
			return nil, fmt.Errorf("line %d: more than one '|'", n)
		}
		e := glossaryEntry{line: n}
		for _, a := range strings.Split(names, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				return nil, fmt.Errorf("line %d: empty alias", n)
			}
			if norm := glossaryNorm(a); norm != a {
				return nil, fmt.Errorf("line %d: alias %q is not normalised (want %q)", n, a, norm)
			}
			if j, dup := g.byAlias[a]; dup {
				return nil, fmt.Errorf("line %d: alias %q is already on line %d", n, a, g.entries[j].line)
			}
			if slices.Contains(e.aliases, a) {
				return nil, fmt.Errorf("line %d: alias %q appears twice", n, a)
			}
			e.aliases = append(e.aliases, a)
		}
		for _, w := range strings.Split(desc, ",") {
			w = strings.ToLower(strings.Join(strings.Fields(w), " "))
			if w == "" {
				return nil, fmt.Errorf("line %d: empty word", n)
			}
			if slices.Contains(e.words, w) {
				return nil, fmt.Errorf("line %d: word %q appears twice", n, w)
			}
			e.words = append(e.words, w)
		}
		for _, a := range e.aliases {
			g.byAlias[a] = len(g.entries)
		}
		g.entries = append(g.entries, e)
	}
	if len(g.entries) == 0 {
		return nil, fmt.Errorf("no entries")
	}
	return g, nil
}
