package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestLocalCopy: the copy reads the same bytes, survives the deletion of the source's
// prefix (a rerun's input outlives the deleted original job), and a missing source is
// ErrNotExist.
func TestLocalCopy(t *testing.T) {
	ctx := context.Background()
	l, err := NewLocal(t.TempDir(), bytes.Repeat([]byte{7}, SecretLen), "http://x/", nil)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Repeat("{\"text\":\"hello\"}\n", 1000)
	if _, err := l.Put(ctx, "jobs/a/input.ndjson", strings.NewReader(body), -1); err != nil {
		t.Fatal(err)
	}
	if err := l.Copy(ctx, "jobs/a/input.ndjson", "jobs/b/input.ndjson"); err != nil {
		t.Fatal(err)
	}
	if err := l.Delete(ctx, "jobs/a/"); err != nil {
		t.Fatal(err)
	}
	rc, err := l.Open(ctx, "jobs/b/input.ndjson", 0)
	if err != nil {
		t.Fatalf("copy gone with the source's prefix: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != body {
		t.Errorf("copy holds %d bytes, want the %d of the source", len(got), len(body))
	}
	if err := l.Copy(ctx, "jobs/a/input.ndjson", "jobs/c/input.ndjson"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Copy of a missing object = %v, want ErrNotExist", err)
	}
}

// TestS3Copy: a server-side copy reads the same bytes and outlives the source's prefix.
// (Sources above 5 GiB take ComposeObject's multipart copy, which this small object does
// not exercise.)
func TestS3Copy(t *testing.T) {
	ctx := context.Background()
	s := newTestS3(t, testS3Config(t))
	body := strings.Repeat("{\"text\":\"hello\"}\n", 1000)
	if _, err := s.Put(ctx, "jobs/a/input.ndjson", strings.NewReader(body), -1); err != nil {
		t.Fatal(err)
	}
	if err := s.Copy(ctx, "jobs/a/input.ndjson", "jobs/b/input.ndjson"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "jobs/a/"); err != nil {
		t.Fatal(err)
	}
	rc, err := s.Open(ctx, "jobs/b/input.ndjson", 0)
	if err != nil {
		t.Fatalf("copy gone with the source's prefix: %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != body {
		t.Errorf("copy holds %d bytes, want %d", len(got), len(body))
	}
	if err := s.Copy(ctx, "jobs/a/input.ndjson", "jobs/c/input.ndjson"); !errors.Is(err, ErrNotExist) {
		t.Errorf("Copy of a missing object = %v, want ErrNotExist", err)
	}
}
