package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/classer-ai/classer-batch/batch"
)

// Issue 22, slice A: the batch data path over real HTTP.

// auditText is line i's text, of about size bytes, naming its line at both ends.
func auditText(i, size int) string {
	head := fmt.Sprintf("line %d begins ", i)
	tail := fmt.Sprintf(" line %d ends", i)
	return head + strings.Repeat(string(rune('a'+i%26)), max(size-len(head)-len(tail), 0)) + tail
}

// TestLinesOverHTTPAreTheirOwn (issue 22 #1): GET /lines?limit=500 on 500 lines of ~1.2 KB,
// and console pages of 50 on short lines among 20 KB ones, show every line's own text.
func TestLinesOverHTTPAreTheirOwn(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, tc := range []struct {
		name  string
		n     int
		size  func(i int) int
		limit int
	}{
		{"1.2KB lines", 500, func(int) int { return 1200 }, 500},
		{"short and 20KB lines", 200, func(i int) int { return []int{40, 20000, 60, 20000, 30}[i%5] }, 50},
	} {
		var b strings.Builder
		texts := make([]string, tc.n)
		for i := range tc.n {
			texts[i] = auditText(i, tc.size(i))
			fmt.Fprintf(&b, "{\"text\":%q}\n", texts[i])
		}
		created := e.createJob(t, e.keyA, `{"labels":["billing","technical","sales"]}`)
		id := created.str("job_id")
		if r := e.upload(t, created, b.String(), nil); r.status != http.StatusNoContent {
			t.Fatalf("upload: %d %s", r.status, r.raw)
		}
		for off := 0; off < tc.n; off += tc.limit {
			r := e.call(t, "GET", fmt.Sprintf("/v1/batch/%s/lines?offset=%d&limit=%d", id, off, tc.limit), e.keyA, "")
			var page struct {
				Lines []struct {
					Index int    `json:"index"`
					Text  string `json:"text"`
				} `json:"lines"`
			}
			if err := json.Unmarshal(r.raw, &page); r.status != http.StatusOK || err != nil || len(page.Lines) != tc.limit {
				t.Fatalf("%s: lines at %d: %d %v, %d lines", tc.name, off, r.status, err, len(page.Lines))
			}
			wrong := 0
			for _, l := range page.Lines {
				want := texts[l.Index]
				if len(want) > 2000 {
					want = want[:2000] + "…"
				}
				if l.Text != want {
					wrong++
				}
			}
			if wrong > 0 {
				t.Fatalf("%s: offset %d: %d of %d texts are not their line's", tc.name, off, wrong, len(page.Lines))
			}
		}
	}
}

// TestInputTooLargeIs422 (issue 22 #3): a page or preview of a compressed input that
// decompresses past limits.max_input_bytes is the file's fault: a 422 naming the limit and
// its setting, not a 500.
func TestInputTooLargeIs422(t *testing.T) {
	err := fmt.Errorf("read input: %w: over 1048576 bytes, the limit set by limits.max_input_bytes", batch.ErrInputTooLarge)
	ae := mapError(err)
	if ae.Status != http.StatusUnprocessableEntity || ae.Code != "INPUT_TOO_LARGE" ||
		!strings.Contains(ae.Message, "1048576 bytes") || !strings.Contains(ae.Message, "limits.max_input_bytes") || strings.Contains(ae.Message, "read input") {
		t.Fatalf("%+v", ae)
	}
}

// TestLinesOfBlankInputIsArray (issue 22 #10): /lines of an input with no non-blank line
// answers "lines": [] (the OpenAPI schema's array), not null.
func TestLinesOfBlankInputIsArray(t *testing.T) {
	e := newEnv(t, envOptions{})
	created := e.createJob(t, e.keyA, `{"labels":["billing","technical","sales"]}`)
	if r := e.upload(t, created, "\n \n\n", nil); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	r := e.call(t, "GET", "/v1/batch/"+created.str("job_id")+"/lines", e.keyA, "")
	if r.status != http.StatusOK || !strings.Contains(string(r.raw), `"lines":[]`) {
		t.Fatalf("%d %s", r.status, r.raw)
	}
}
