package blob

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkReceiveUpload measures the appliance's side of a local upload: parsing the
// multipart form and writing the file part to disk (page cache), without the network.
// Issue 8 asks for ≥ 500 MB/s of request body.
func BenchmarkReceiveUpload(b *testing.B) {
	l, err := NewLocal(b.TempDir(), bytes.Repeat([]byte{7}, SecretLen), "http://127.0.0.1/", time.Now)
	if err != nil {
		b.Fatal(err)
	}
	const key = "jobs/batch_bench/input.ndjson"
	const size = 64 << 20
	u, fields, err := l.PresignUpload(context.Background(), key, size, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	var body bytes.Buffer
	body.Grow(size + 4096)
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			b.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "input.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	line := []byte(`{"id":"t-000001","text":"My invoice shows a charge twice this month, please refund one of them."}` + "\n")
	for n := 0; n+len(line) <= size; n += len(line) {
		fw.Write(line)
	}
	if err := mw.Close(); err != nil {
		b.Fatal(err)
	}
	raw := body.Bytes()
	allow := func(context.Context, string, string) (io.Writer, error) { return nil, nil }
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, u, bytes.NewReader(raw))
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if _, _, err := l.ReceiveUpload(context.Background(), req, allow); err != nil {
			b.Fatal(err)
		}
	}
}
