package classify

import (
	"errors"
	"strings"
	"testing"
)

func ptr(f float64) *float64 { return &f }

func TestNormalize(t *testing.T) {
	many := make([]string, MaxLabels+1)
	for i := range many {
		many[i] = "l" + strings.Repeat("x", i%50) + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	tests := []struct {
		name      string
		spec      Spec
		field     string // "" = valid
		msg       string // substring of the message
		wantMode  string
		wantTh    float64
		wantLabel []string
	}{
		{name: "defaults", spec: Spec{Labels: []string{"a", "b"}}, wantMode: ModeSingle, wantTh: 0.3, wantLabel: []string{"a", "b"}},
		{name: "trims labels", spec: Spec{Labels: []string{" billing ", "\tsales"}}, wantMode: ModeSingle, wantTh: 0.3, wantLabel: []string{"billing", "sales"}},
		{name: "multi with threshold", spec: Spec{Labels: []string{"a"}, Mode: ModeMulti, Threshold: ptr(0.7)}, wantMode: ModeMulti, wantTh: 0.7, wantLabel: []string{"a"}},
		{name: "threshold bounds inclusive", spec: Spec{Labels: []string{"a"}, Threshold: ptr(1)}, wantMode: ModeSingle, wantTh: 1, wantLabel: []string{"a"}},
		{name: "200 labels", spec: Spec{Labels: many[:MaxLabels]}, wantMode: ModeSingle, wantTh: 0.3, wantLabel: many[:MaxLabels]},
		{name: "no labels", spec: Spec{}, field: "labels", msg: "at least one"},
		{name: "too many labels", spec: Spec{Labels: many}, field: "labels", msg: "at most 200 labels, got 201"},
		{name: "blank label", spec: Spec{Labels: []string{"a", "  "}}, field: "labels", msg: "labels[1] is empty"},
		{name: "long label", spec: Spec{Labels: []string{strings.Repeat("é", 101)}}, field: "labels", msg: "longer than 100"},
		{name: "100 char label ok", spec: Spec{Labels: []string{strings.Repeat("é", 100)}}, wantMode: ModeSingle, wantTh: 0.3, wantLabel: []string{strings.Repeat("é", 100)}},
		{name: "duplicate label", spec: Spec{Labels: []string{"billing", "sales", "billing"}}, field: "labels", msg: `labels must be unique: "billing" appears twice`},
		{name: "duplicate after trim", spec: Spec{Labels: []string{"billing", " billing"}}, field: "labels", msg: `"billing" appears twice`},
		{name: "description for unknown label", spec: Spec{Labels: []string{"a"}, Descriptions: map[string]string{"foo": "x"}}, field: "descriptions", msg: `descriptions: "foo" is not a label`},
		{name: "description keys trimmed", spec: Spec{Labels: []string{"a"}, Descriptions: map[string]string{" a ": "x"}}, wantMode: ModeSingle, wantTh: 0.3, wantLabel: []string{"a"}},
		{name: "description key twice after trim", spec: Spec{Labels: []string{"a"}, Descriptions: map[string]string{"a": "x", "a ": "y"}}, field: "descriptions", msg: "twice"},
		{name: "examples for unknown label", spec: Spec{Labels: []string{"a"}, Examples: map[string][]string{"zz": {"x"}}}, field: "examples", msg: `examples: "zz" is not a label`},
		{name: "blank example", spec: Spec{Labels: []string{"a"}, Examples: map[string][]string{"a": {"x", " "}}}, field: "examples", msg: `examples["a"][1] is empty`},
		{name: "bad mode", spec: Spec{Labels: []string{"a"}, Mode: "many"}, field: "mode", msg: `got "many"`},
		{name: "threshold above 1", spec: Spec{Labels: []string{"a"}, Threshold: ptr(1.5)}, field: "threshold", msg: "threshold must be between 0 and 1, got 1.5"},
		{name: "threshold negative", spec: Spec{Labels: []string{"a"}, Threshold: ptr(-0.1)}, field: "threshold", msg: "got -0.1"},
		{name: "text_type too long", spec: Spec{Labels: []string{"a"}, TextType: strings.Repeat("x", 1001)}, field: "text_type", msg: "1000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.spec
			err := s.Normalize(DefaultBatchThreshold)
			if tc.field != "" {
				var ve *ValidationError
				if !errors.As(err, &ve) {
					t.Fatalf("err = %v, want *ValidationError", err)
				}
				if ve.Field != tc.field || !strings.Contains(ve.Message, tc.msg) {
					t.Fatalf("got field %q message %q, want field %q message containing %q", ve.Field, ve.Message, tc.field, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if s.Mode != tc.wantMode || s.Threshold == nil || *s.Threshold != tc.wantTh {
				t.Fatalf("mode %q threshold %v, want %q %v", s.Mode, s.Threshold, tc.wantMode, tc.wantTh)
			}
			if strings.Join(s.Labels, "|") != strings.Join(tc.wantLabel, "|") {
				t.Fatalf("labels %q, want %q", s.Labels, tc.wantLabel)
			}
			// Idempotent.
			again := s
			if err := again.Normalize(0.9); err != nil || *again.Threshold != *s.Threshold {
				t.Fatalf("second Normalize: %v, threshold %v", err, *again.Threshold)
			}
		})
	}
}

func TestNormalizeDoesNotMutateCallerMaps(t *testing.T) {
	desc := map[string]string{" a ": "x"}
	s := Spec{Labels: []string{"a"}, Descriptions: desc}
	if err := s.Normalize(DefaultBatchThreshold); err != nil {
		t.Fatal(err)
	}
	if _, ok := desc[" a "]; !ok || len(desc) != 1 {
		t.Fatalf("caller's map changed: %q", desc)
	}
	if s.Descriptions["a"] != "x" {
		t.Fatalf("descriptions = %q", s.Descriptions)
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("billing", "sales", "billing", "x", "single", 0.3)
	f.Add(" a", "a ", "b", "", "multi", 1.5)
	f.Fuzz(func(t *testing.T, l1, l2, dkey, desc, mode string, th float64) {
		s := Spec{Labels: []string{l1, l2}, Descriptions: map[string]string{dkey: desc}, Mode: mode, Threshold: &th}
		err := s.Normalize(DefaultBatchThreshold)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field == "" || ve.Message == "" {
				t.Fatalf("error %v is not a complete *ValidationError", err)
			}
			return
		}
		if s.Labels[0] == s.Labels[1] || s.Labels[0] == "" || s.Labels[1] == "" {
			t.Fatalf("accepted labels %q", s.Labels)
		}
		if s.Mode != ModeSingle && s.Mode != ModeMulti {
			t.Fatalf("accepted mode %q", s.Mode)
		}
		if !(*s.Threshold >= 0 && *s.Threshold <= 1) {
			t.Fatalf("accepted threshold %v", *s.Threshold)
		}
		for k := range s.Descriptions {
			if k != s.Labels[0] && k != s.Labels[1] {
				t.Fatalf("accepted description key %q", k)
			}
		}
		if err := s.Normalize(0.5); err != nil {
			t.Fatalf("not idempotent: %v", err)
		}
	})
}
