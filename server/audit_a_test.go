package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
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
	// A zstd file whose window is over the decoder's bound (issue 22 #11).
	ae = mapError(fmt.Errorf("read input: %w (window size exceeded)", batch.ErrZstdWindow))
	if ae.Status != http.StatusUnprocessableEntity || !strings.Contains(ae.Message, "64 MiB") {
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

// uploadNamed is e.upload with the file part named filename (sent RFC 2231-encoded, so
// any byte can be in it).
func (e *testEnv) uploadNamed(t *testing.T, created response, filename, content string) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fields := created.body["upload_fields"].(map[string]any)
	mw.WriteField("key", fields["key"].(string))
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if k != "key" {
			mw.WriteField(k, fields[k].(string))
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename*=UTF-8''`+url.PathEscape(filename))
	fw, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fw, content)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, created.str("upload_url"), &buf)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.do(t, req)
}

// TestUploadFilename (issue 22 #7): the job names the file that is stored, not a later
// upload that was refused; a long name is cut to 255 bytes on a character boundary and
// control characters are dropped.
func TestUploadFilename(t *testing.T) {
	e := newEnv(t, envOptions{})
	created := e.createJob(t, e.keyA, `{"labels":["billing","technical","sales"]}`)
	id := created.str("job_id")
	good := "{\"text\":\"my invoice is wrong\"}\n"
	if r := e.uploadNamed(t, created, "good.ndjson", good); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	for _, bad := range []string{"[1,2,3]\n", ""} {
		if r := e.uploadNamed(t, created, "refused.ndjson", bad); r.status != http.StatusBadRequest {
			t.Fatalf("upload of %q: %d %s", bad, r.status, r.raw)
		}
		if v := e.call(t, "GET", "/v1/batch/"+id, e.keyA, ""); v.str("input_filename") != "good.ndjson" {
			t.Fatalf("after a refused upload the job names %q", v.str("input_filename"))
		}
	}
	long := "a\tb\x1b[31m" + strings.Repeat("é", 2000) + ".ndjson"
	if r := e.uploadNamed(t, created, long, good); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	name := e.call(t, "GET", "/v1/batch/"+id, e.keyA, "").str("input_filename")
	if want := "ab[31m" + strings.Repeat("é", 123) + "…"; name != want {
		t.Fatalf("long name recorded as %q (%d bytes), want %q", name, len(name), want)
	}
}

// TestEmptyInputRefused (issue 22 #14): an empty upload is refused, saying so, and leaves
// the stored file in place; a start on an empty input (one sent straight to the bucket) is
// a 422 naming the problem.
func TestEmptyInputRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	created := e.createJob(t, e.keyA, `{"labels":["billing","technical","sales"]}`)
	id := created.str("job_id")
	r := e.upload(t, created, "", nil)
	wantError(t, r, http.StatusBadRequest, "NOT_NDJSON", "")
	if !strings.Contains(r.str("message"), "the file is empty (0 bytes)") {
		t.Fatalf("empty upload: %s", r.raw)
	}
	wantError(t, e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, ""), http.StatusUnprocessableEntity, "NO_INPUT", "")
	if r := e.upload(t, created, "{\"text\":\"hello\"}\n", nil); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	wantError(t, e.upload(t, created, "", nil), http.StatusBadRequest, "NOT_NDJSON", "")
	if n, err := e.blobs.Stat(context.Background(), batch.InputKey(id)); err != nil || n == 0 {
		t.Fatalf("the stored input after a refused empty upload: %d bytes, %v", n, err)
	}
	// As a direct-to-bucket upload would leave it.
	if _, err := e.blobs.Put(context.Background(), batch.InputKey(id), strings.NewReader(""), -1); err != nil {
		t.Fatal(err)
	}
	r = e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, "")
	wantError(t, r, http.StatusUnprocessableEntity, "EMPTY_INPUT", "")
	if !strings.Contains(r.str("message"), "empty (0 bytes)") {
		t.Fatalf("start on an empty input: %s", r.raw)
	}
}
