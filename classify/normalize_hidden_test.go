package classify

import (
	"errors"
	"strings"
	"testing"
)

// TestNormalizeRefusesHiddenCharacters: labels with a control character or a bidi
// override/isolate, and labels that differ only by case, are refused, naming the field, the
// index and the character (issue 22, findings 11 and 14). Free text (descriptions, examples,
// text_type) keeps whatever characters real text has, and right-to-left labels are accepted.
func TestNormalizeRefusesHiddenCharacters(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  Spec
		field string // "" = valid
		msg   []string
	}{
		{"NUL in a label", Spec{Labels: []string{"a", "b\x00c"}}, "labels", []string{"labels[1]", "U+0000", "character 2"}},
		{"ESC in a label", Spec{Labels: []string{"\x1b[31mred", "b"}}, "labels", []string{"labels[0]", "U+001B"}},
		{"tab inside a label", Spec{Labels: []string{"a\tb"}}, "labels", []string{"labels[0]", "U+0009"}},
		{"DEL and C1 in a label", Spec{Labels: []string{"ok", "x\u0085y", "z\x7f"}}, "labels", []string{"labels[1]", "U+0085"}},
		{"right-to-left override in a label", Spec{Labels: []string{"refund", "\u202Ednufer"}}, "labels", []string{"labels[1]", "U+202E", "character 1"}},
		{"first strong isolate in a label", Spec{Labels: []string{"a\u2068b"}}, "labels", []string{"labels[0]", "U+2068"}},
		{"labels that differ only by case", Spec{Labels: []string{"billing", "sales", "Billing"}}, "labels", []string{`labels[0] "billing"`, `labels[2] "Billing"`, "case"}},
		{"case-only difference with non-ASCII", Spec{Labels: []string{"ÉTÉ", "été"}}, "labels", []string{"labels[0]", "labels[1]"}},
		{"control characters, overrides, tabs and newlines in free text", Spec{Labels: []string{"a"}, Descriptions: map[string]string{"a": "one\ttwo\nthree\r\n\x00\u202Dx"},
			Examples: map[string][]string{"a": {"line\none", "\u0093quoted\u0094", "x\x1b"}}, TextType: "support\ttickets\u202A"}, "", nil},
		{"right-to-left labels", Spec{Labels: []string{"החזר כספי", "استرداد", "\u200Fmark"}}, "", nil},
		{"labels that differ by more than case", Spec{Labels: []string{"Billing", "billings"}}, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			err := s.Normalize(DefaultBatchThreshold)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Fatalf("err = %v, want a ValidationError on %s", err, tc.field)
			}
			for _, m := range tc.msg {
				if !strings.Contains(ve.Message, m) {
					t.Errorf("message %q lacks %q", ve.Message, m)
				}
			}
		})
	}
}
