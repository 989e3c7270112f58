package blob

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

// TestS3Compose: parts of at least 5 MiB are copied by the store, runs of small parts
// are streamed together into one part (S3 refuses small parts but the last), empty parts
// are skipped; the object is the parts end to end, composing again gives the same, and
// a failure (a part missing) aborts the upload: no multipart upload is left open.
func TestS3Compose(t *testing.T) {
	s := newTestS3(t, testS3Config(t))
	ctx := context.Background()
	sizes := []int{6 << 20, 1 << 10, 2 << 10, 5 << 20, 0, 5 << 20, 7 << 10}
	var want bytes.Buffer
	var parts []ComposePart
	for i, n := range sizes {
		b := bytes.Repeat([]byte{byte('a' + i)}, n)
		key := fmt.Sprintf("jobs/x/parts/%d", i)
		if _, err := s.Put(ctx, key, bytes.NewReader(b), -1); err != nil {
			t.Fatal(err)
		}
		want.Write(b)
		parts = append(parts, ComposePart{Key: key, Size: int64(n)})
	}
	// A composer that died half-way left its upload open: the next compose aborts it.
	if _, err := s.core.NewMultipartUpload(ctx, s.bucket, "jobs/x/results.ndjson", minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := s.Compose(ctx, "jobs/x/results.ndjson", parts); err != nil {
			t.Fatal(err)
		}
		rc, err := s.Open(ctx, "jobs/x/results.ndjson", 0)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("composed %d bytes (%v), want the %d bytes of the parts end to end", len(got), err, want.Len())
		}
	}
	info, err := s.core.Client.StatObject(ctx, s.bucket, "jobs/x/results.ndjson", minio.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if open, err := s.OpenUploads(ctx, "jobs/"); err != nil || len(open) != 0 {
		t.Fatalf("multipart uploads left open: %v (%v)", open, err)
	}
	// 6 MiB copied, 1+2 KiB + 5 MiB streamed, 5 MiB copied, 7 KiB copied (the last part
	// may be small): four parts.
	if !strings.HasSuffix(info.ETag, "-4") {
		t.Errorf("ETag %q: want a four-part upload", info.ETag)
	}

	bad := append(parts[:1:1], ComposePart{Key: "jobs/x/parts/missing", Size: 6 << 20})
	if err := s.Compose(ctx, "jobs/y/results.ndjson", bad); err == nil {
		t.Fatal("compose of a missing part succeeded")
	}
	if open, err := s.OpenUploads(ctx, "jobs/"); err != nil || len(open) != 0 {
		t.Fatalf("multipart uploads left open: %v (%v)", open, err)
	}
	if _, err := s.Stat(ctx, "jobs/y/results.ndjson"); err == nil {
		t.Fatal("a failed compose published its object")
	}

	if err := s.Compose(ctx, "jobs/z/results.ndjson", []ComposePart{{Key: "jobs/x/parts/4"}}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Stat(ctx, "jobs/z/results.ndjson"); err != nil || n != 0 {
		t.Fatalf("composing nothing: %d bytes, %v; want an empty object", n, err)
	}
}
