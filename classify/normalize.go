package classify

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxTextTypeChars bounds text_type, the free-text context about the texts.
const MaxTextTypeChars = 1000

// Normalize validates s per DESIGN.md §2 and fills in defaults, in place: labels and the keys
// of descriptions and examples are trimmed of surrounding space, Mode defaults to "single" and
// Threshold to defaultThreshold. It is idempotent. On failure it returns a *ValidationError
// whose Field is "labels", "descriptions", "examples", "text_type", "mode" or "threshold", and
// s may be partly normalized.
//
// Rules: 1..200 labels, each 1..100 characters after trimming, without control or bidi
// override/isolate characters, and unique ignoring case; every key of descriptions and
// examples must be one of the labels (after trimming) and appear once; examples must not be blank; mode is "single" or "multi"; threshold is in 0..1;
// text_type is at most 1000 characters.
func (s *Spec) Normalize(defaultThreshold float64) error {
	if len(s.Labels) == 0 {
		return verr("labels", "labels must contain at least one label")
	}
	if len(s.Labels) > MaxLabels {
		return verr("labels", "labels must contain at most %d labels, got %d", MaxLabels, len(s.Labels))
	}
	labels := make([]string, len(s.Labels))
	seen := make(map[string]struct{}, len(s.Labels))
	// Labels are read case-insensitively (the built-in tokenizer lower-cases them; a chat
	// model's answer is matched with strings.EqualFold), so two that differ only by case
	// could never be told apart.
	folded := make(map[string]int, len(s.Labels))
	for i, l := range s.Labels {
		l = strings.TrimSpace(l)
		switch n := utf8.RuneCountInString(l); {
		case n == 0:
			return verr("labels", "labels[%d] is empty", i)
		case n > MaxLabelChars:
			return verr("labels", "labels[%d] is longer than %d characters (%d): %q", i, MaxLabelChars, n, truncate(l, 40))
		}
		if at, r, ok := hiddenRune(l); ok {
			return verr("labels", "labels[%d] contains %U at character %d: control characters and bidirectional overrides are not allowed in labels", i, r, at)
		}
		if _, dup := seen[l]; dup {
			return verr("labels", "labels must be unique: %q appears twice", l)
		}
		if j, dup := folded[strings.ToLower(l)]; dup {
			return verr("labels", "labels[%d] %q and labels[%d] %q differ only by case: labels are read case-insensitively, so they could not be told apart", j, labels[j], i, l)
		}
		seen[l] = struct{}{}
		folded[strings.ToLower(l)] = i
		labels[i] = l
	}
	s.Labels = labels

	if s.Descriptions != nil {
		d := make(map[string]string, len(s.Descriptions))
		// Sorted keys so that the error for a spec with several bad keys is always the same.
		for _, k := range slices.Sorted(maps.Keys(s.Descriptions)) {
			tk := strings.TrimSpace(k)
			if _, ok := seen[tk]; !ok {
				return verr("descriptions", "descriptions: %q is not a label", k)
			}
			if _, dup := d[tk]; dup {
				return verr("descriptions", "descriptions: %q is given twice", tk)
			}
			d[tk] = strings.TrimSpace(s.Descriptions[k])
		}
		s.Descriptions = d
	}

	if s.Examples != nil {
		e := make(map[string][]string, len(s.Examples))
		for _, k := range slices.Sorted(maps.Keys(s.Examples)) {
			tk := strings.TrimSpace(k)
			if _, ok := seen[tk]; !ok {
				return verr("examples", "examples: %q is not a label", k)
			}
			if _, dup := e[tk]; dup {
				return verr("examples", "examples: %q is given twice", tk)
			}
			for i, ex := range s.Examples[k] {
				if strings.TrimSpace(ex) == "" {
					return verr("examples", "examples[%q][%d] is empty", tk, i)
				}
			}
			e[tk] = slices.Clone(s.Examples[k])
		}
		s.Examples = e
	}

	s.TextType = strings.TrimSpace(s.TextType)
	if n := utf8.RuneCountInString(s.TextType); n > MaxTextTypeChars {
		return verr("text_type", "text_type is longer than %d characters (%d)", MaxTextTypeChars, n)
	}

	switch s.Mode {
	case "":
		s.Mode = ModeSingle
	case ModeSingle, ModeMulti:
	default:
		return verr("mode", "mode must be %q or %q, got %q", ModeSingle, ModeMulti, s.Mode)
	}

	th := defaultThreshold
	if s.Threshold != nil {
		th = *s.Threshold
	}
	if math.IsNaN(th) || th < 0 || th > 1 {
		return verr("threshold", "threshold must be between 0 and 1, got %g", th)
	}
	// A fresh pointer: the caller's float may be shared with another spec.
	s.Threshold = &th
	return nil
}

// hiddenRune finds the first character of s that a reader cannot see but that changes what
// is shown: a control character (Unicode category Cc) not in allowed, or a bidirectional
// override or isolate (U+202A–U+202E, U+2066–U+2069), which can make a label display as
// another. at counts characters from 1.
//
// Only labels are checked: they are names the appliance shows back as answers, where a
// hidden character misleads. Descriptions, examples and text_type are free text, like the
// input lines, and real text carries such characters (mis-decoded Windows-1252 quotes, for
// instance, are C1 controls); refusing them would fail a user's job on their own data.
func hiddenRune(s string) (at int, r rune, ok bool) {
	for _, r := range s {
		at++
		if unicode.IsControl(r) ||
			r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' {
			return at, r, true
		}
	}
	return 0, 0, false
}

func verr(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}

func truncate(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j] + "…"
		}
		i++
	}
	return s
}
