package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testStore is the storage suite every backend must pass (litestream's
// replica_client_test.go style): a backend's test builds a Store whose signed
// URLs are reachable over HTTP and calls testStore(t, s). Subtests share s and
// isolate themselves by key prefix, so s may be a shared bucket.
func testStore(t *testing.T, s Store) {
	t.Helper()
	var seq atomic.Int64
	// prefix gives each subtest its own key space.
	prefix := func(*testing.T) string {
		return fmt.Sprintf("suite-%d-%d/", time.Now().UnixNano(), seq.Add(1))
	}
	ctx := context.Background()

	t.Run("Ping", func(t *testing.T) {
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})

	t.Run("PutOpenStat", func(t *testing.T) {
		key := prefix(t) + "a/input.ndjson"
		data := []byte("0123456789abcdef")
		n, err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)))
		if err != nil || n != int64(len(data)) {
			t.Fatalf("Put = %d, %v; want %d, nil", n, err, len(data))
		}
		if size, err := s.Stat(ctx, key); err != nil || size != int64(len(data)) {
			t.Fatalf("Stat = %d, %v; want %d", size, err, len(data))
		}
		for _, off := range []int64{0, 1, 10, int64(len(data))} {
			if got := readAll(t, s, key, off); !bytes.Equal(got, data[off:]) {
				t.Errorf("Open(offset %d) read %q, want %q", off, got, data[off:])
			}
		}
		for _, off := range []int64{-1, int64(len(data)) + 1} {
			if rc, err := s.Open(ctx, key, off); err == nil {
				rc.Close()
				t.Errorf("Open(offset %d) succeeded past the object", off)
			}
		}
		// Replacing is atomic and complete.
		if _, err := s.Put(ctx, key, strings.NewReader("new"), -1); err != nil {
			t.Fatalf("Put replace: %v", err)
		}
		if got := readAll(t, s, key, 0); string(got) != "new" {
			t.Errorf("after replace read %q, want %q", got, "new")
		}
	})

	t.Run("Missing", func(t *testing.T) {
		key := prefix(t) + "missing.ndjson"
		if _, err := s.Stat(ctx, key); !errors.Is(err, ErrNotExist) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat missing: %v; want ErrNotExist and fs.ErrNotExist", err)
		}
		if _, err := s.Open(ctx, key, 0); !errors.Is(err, ErrNotExist) {
			t.Errorf("Open missing: %v; want ErrNotExist", err)
		}
		// A "directory" of objects is not an object.
		dir := prefix(t) + "d"
		if _, err := s.Put(ctx, dir+"/x", strings.NewReader("x"), -1); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Stat(ctx, dir); !errors.Is(err, ErrNotExist) {
			t.Errorf("Stat of a key prefix: %v; want ErrNotExist", err)
		}
	})

	t.Run("PutTooLarge", func(t *testing.T) {
		key := prefix(t) + "big.ndjson"
		if n, err := s.Put(ctx, key, strings.NewReader("12345"), 5); err != nil || n != 5 {
			t.Fatalf("Put at exactly max = %d, %v", n, err)
		}
		_, err := s.Put(ctx, key, strings.NewReader("123456"), 5)
		if !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Put over max: %v; want ErrTooLarge", err)
		}
		// The failed replace left the previous object alone.
		if got := readAll(t, s, key, 0); string(got) != "12345" {
			t.Errorf("after failed replace read %q, want the old object", got)
		}
		other := prefix(t) + "never.ndjson"
		if _, err := s.Put(ctx, other, strings.NewReader("xx"), 1); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Put over max: %v", err)
		}
		if _, err := s.Stat(ctx, other); !errors.Is(err, ErrNotExist) {
			t.Errorf("a too-large Put left an object: %v", err)
		}
	})

	t.Run("PutReaderError", func(t *testing.T) {
		key := prefix(t) + "broken.ndjson"
		boom := errors.New("client went away")
		r := io.MultiReader(strings.NewReader("partial data"), errReader{boom})
		if _, err := s.Put(ctx, key, r, -1); !errors.Is(err, boom) {
			t.Fatalf("Put with failing reader: %v; want it wrapped", err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, ErrNotExist) {
			t.Errorf("a failed Put left a visible object: %v", err)
		}
	})

	t.Run("PutCancelled", func(t *testing.T) {
		key := prefix(t) + "cancelled.ndjson"
		cctx, cancel := context.WithCancel(ctx)
		r := &cancelAfterReader{r: strings.NewReader(strings.Repeat("x", 3<<20)), cancel: cancel, after: 1 << 20}
		if _, err := s.Put(cctx, key, r, -1); !errors.Is(err, context.Canceled) {
			t.Fatalf("Put cancelled mid-stream: %v; want context.Canceled", err)
		}
		if _, err := s.Stat(ctx, key); !errors.Is(err, ErrNotExist) {
			t.Errorf("a cancelled Put left a visible object: %v", err)
		}
	})

	t.Run("DeleteByPrefix", func(t *testing.T) {
		p := prefix(t)
		keep := []string{p + "jobs/j10/input.ndjson", p + "jobs/j2/input.ndjson", p + "other"}
		gone := []string{p + "jobs/j1/input.ndjson", p + "jobs/j1/results.ndjson"}
		for _, k := range append(append([]string{}, keep...), gone...) {
			if _, err := s.Put(ctx, k, strings.NewReader(k), -1); err != nil {
				t.Fatal(err)
			}
		}
		// Unfinished results belong to the job too.
		pt, err := s.CreatePartial(ctx, p+"jobs/j1/more.ndjson", 0)
		if err != nil {
			t.Fatal(err)
		}
		writeString(t, pt, "half")
		if _, err := pt.Sync(); err != nil {
			t.Fatal(err)
		}
		pt.Close()

		if err := s.Delete(ctx, p+"jobs/j1/"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		for _, k := range gone {
			if _, err := s.Stat(ctx, k); !errors.Is(err, ErrNotExist) {
				t.Errorf("%s survived Delete: %v", k, err)
			}
		}
		if _, err := s.CreatePartial(ctx, p+"jobs/j1/more.ndjson", 4); !errors.Is(err, ErrNotExist) {
			t.Errorf("partial survived Delete: %v", err)
		}
		for _, k := range keep {
			if got := readAll(t, s, k, 0); string(got) != k {
				t.Errorf("%s damaged by Delete of a sibling: %q", k, got)
			}
		}
		// Deleting what is not there is fine; the same prefix twice too.
		for _, pre := range []string{p + "jobs/j1/", p + "nothing/here/"} {
			if err := s.Delete(ctx, pre); err != nil {
				t.Errorf("Delete(%q) of nothing: %v", pre, err)
			}
		}
		// A string prefix, as in S3: "j" covers j10 and j2.
		if err := s.Delete(ctx, p+"jobs/j"); err != nil {
			t.Fatal(err)
		}
		for _, k := range keep[:2] {
			if _, err := s.Stat(ctx, k); !errors.Is(err, ErrNotExist) {
				t.Errorf("%s survived Delete of its string prefix: %v", k, err)
			}
		}
		if _, err := s.Stat(ctx, p+"other"); err != nil {
			t.Errorf("unrelated object deleted: %v", err)
		}
	})

	t.Run("PartialLifecycle", func(t *testing.T) {
		// Backend-neutral: positions are whatever Sync reports durable (all
		// of it on disk, nothing under MinPartSize on S3), exactly as the
		// pipeline checkpoints them.
		key := prefix(t) + "results.ndjson"
		if _, err := s.CreatePartial(ctx, key, 1); !errors.Is(err, ErrNotExist) {
			t.Fatalf("resume of a partial that never existed: %v; want ErrNotExist", err)
		}
		p1, err := s.CreatePartial(ctx, key, 0)
		if err != nil {
			t.Fatal(err)
		}
		var written []byte
		write := func(p Partial, s string) {
			t.Helper()
			writeString(t, p, s)
			written = append(written, s...)
		}
		write(p1, "line0\n")
		d1 := syncCheck(t, p1, int64(len(written)), 0)
		// Durable (on disk) but never checkpointed: a crash right after this Sync.
		write(p1, "line1 from before the crash, longer than its redo\n")
		d2 := syncCheck(t, p1, int64(len(written)), d1)
		writeString(t, p1, "unsynced garbage")
		if err := p1.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p1.Close(); err != nil {
			t.Errorf("second Close: %v; want nil (idempotent)", err)
		}
		if _, err := p1.Write([]byte("x")); err == nil {
			t.Error("Write after Close succeeded")
		}
		assertInvisible(t, s, key)

		// The checkpoint is ahead of the data: refuse rather than leave a hole.
		if _, err := s.CreatePartial(ctx, key, d2+1<<20); err == nil {
			t.Fatal("resume past the end of the partial succeeded")
		}
		// Resume from the checkpoint after line0: everything after it goes.
		p2, err := s.CreatePartial(ctx, key, d1)
		if err != nil {
			t.Fatal(err)
		}
		written = written[:d1]
		write(p2, "line1'\n")
		d3 := syncCheck(t, p2, int64(len(written)), d1)
		p2.Close()
		assertInvisible(t, s, key)

		p3, err := s.CreatePartial(ctx, key, d3)
		if err != nil {
			t.Fatal(err)
		}
		written = written[:d3]
		write(p3, "line2\n")
		if err := p3.Commit(); err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if err := p3.Close(); err != nil {
			t.Errorf("Close after Commit: %v", err)
		}
		if got := readAll(t, s, key, 0); string(got) != string(written) {
			t.Errorf("committed %q, want %q", got, written)
		}
		if d1 == 6 && string(written) != "line0\nline1'\nline2\n" {
			t.Errorf("a store that syncs everything committed %q", written)
		}
		if err := p3.Commit(); err == nil {
			t.Error("second Commit succeeded")
		}
		if _, err := s.CreatePartial(ctx, key, 1); !errors.Is(err, ErrNotExist) {
			t.Errorf("the partial outlived its Commit: %v", err)
		}
	})

	t.Run("PartialResumeAcrossParts", func(t *testing.T) {
		// Chunks of at least MinPartSize are durable at every Sync on every
		// backend (S3: one part each), so a crash and resume land between
		// parts: the kept parts stay, later ones are overwritten or dropped.
		a := filler('a', MinPartSize+100)
		b := filler('b', MinPartSize+5000)
		c := filler('c', MinPartSize+3000)
		b2 := filler('B', MinPartSize+50) // shorter than b: nothing of b may survive
		crash := func(t *testing.T, key string, chunks ...[]byte) {
			t.Helper()
			p, err := s.CreatePartial(ctx, key, 0)
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			for _, ch := range chunks {
				mustWrite(t, p, ch)
				n += int64(len(ch))
				if d := syncCheck(t, p, n, n-int64(len(ch))); d != n {
					t.Fatalf("Sync after a chunk of %d bytes: durable %d, want %d", len(ch), d, n)
				}
			}
			writeString(t, p, "lost on crash")
			p.Close()
		}
		t.Run("OverwriteLaterParts", func(t *testing.T) {
			key := prefix(t) + "results.ndjson"
			crash(t, key, a, b, c)
			p, err := s.CreatePartial(ctx, key, int64(len(a)))
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, p, b2)
			if d := syncCheck(t, p, int64(len(a)+len(b2)), int64(len(a))); d != int64(len(a)+len(b2)) {
				t.Fatalf("durable %d after resume and %d bytes", d, len(b2))
			}
			p.Close()
			p, err = s.CreatePartial(ctx, key, int64(len(a)+len(b2)))
			if err != nil {
				t.Fatal(err)
			}
			writeString(t, p, "tail\n")
			if err := p.Commit(); err != nil {
				t.Fatal(err)
			}
			assertContent(t, s, key, a, b2, []byte("tail\n"))
		})
		t.Run("DropLaterParts", func(t *testing.T) {
			key := prefix(t) + "results.ndjson"
			crash(t, key, a, b, c)
			p, err := s.CreatePartial(ctx, key, int64(len(a)))
			if err != nil {
				t.Fatal(err)
			}
			writeString(t, p, "tail\n")
			if err := p.Commit(); err != nil {
				t.Fatal(err)
			}
			assertContent(t, s, key, a, []byte("tail\n"))
		})
	})

	t.Run("PartialLargeWrites", func(t *testing.T) {
		// Writes bigger than any buffer, with and without Syncs in between.
		key := prefix(t) + "results.ndjson"
		p, err := s.CreatePartial(ctx, key, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		chunks := [][]byte{filler('x', 40<<20), filler('y', 3<<20), filler('z', 7<<20+1)}
		var n, d int64
		for _, ch := range chunks {
			mustWrite(t, p, ch)
			n += int64(len(ch))
			d = syncCheck(t, p, n, d)
		}
		if err := p.Commit(); err != nil {
			t.Fatal(err)
		}
		assertContent(t, s, key, chunks...)
	})

	t.Run("PartialEmpty", func(t *testing.T) {
		key := prefix(t) + "results.ndjson"
		p, err := s.CreatePartial(ctx, key, 0)
		if err != nil {
			t.Fatal(err)
		}
		if d := syncCheck(t, p, 0, 0); d != 0 {
			t.Fatalf("empty Sync = %d", d)
		}
		if err := p.Commit(); err != nil {
			t.Fatalf("Commit of an empty partial: %v", err)
		}
		if size, err := s.Stat(ctx, key); err != nil || size != 0 {
			t.Fatalf("Stat = %d, %v; want an empty object", size, err)
		}
		if got := readAll(t, s, key, 0); len(got) != 0 {
			t.Errorf("read %q from an empty object", got)
		}
		if rc, err := s.Open(ctx, key, 1); err == nil {
			rc.Close()
			t.Error("Open(offset 1) of an empty object succeeded")
		}
	})

	t.Run("PutLarge", func(t *testing.T) {
		// Larger than one buffer or part: streamed, and atomic on failure too.
		key := prefix(t) + "big.ndjson"
		data := filler('p', 20<<20+7)
		if n, err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data))); err != nil || n != int64(len(data)) {
			t.Fatalf("Put = %d, %v", n, err)
		}
		assertContent(t, s, key, data)
		if got := readAll(t, s, key, int64(len(data))-5); !bytes.Equal(got, data[len(data)-5:]) {
			t.Errorf("Open near the end read %q", got)
		}
		if _, err := s.Put(ctx, key, bytes.NewReader(filler('q', 20<<20)), 18<<20); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Put over max: %v", err)
		}
		assertContent(t, s, key, data)
	})

	t.Run("PartialOffsetZeroTruncates", func(t *testing.T) {
		key := prefix(t) + "results.ndjson"
		p1, err := s.CreatePartial(ctx, key, 0)
		if err != nil {
			t.Fatal(err)
		}
		writeString(t, p1, "stale results from an earlier run")
		if _, err := p1.Sync(); err != nil {
			t.Fatal(err)
		}
		p1.Close()
		p2, err := s.CreatePartial(ctx, key, 0)
		if err != nil {
			t.Fatal(err)
		}
		writeString(t, p2, "fresh")
		if err := p2.Commit(); err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, s, key, 0); string(got) != "fresh" {
			t.Errorf("committed %q, want %q", got, "fresh")
		}
	})

	t.Run("PartialNeverVisibleBeforeCommit", func(t *testing.T) {
		key := prefix(t) + "results.ndjson"
		if _, err := s.Put(ctx, key, strings.NewReader("old results"), -1); err != nil {
			t.Fatal(err)
		}
		p, err := s.CreatePartial(ctx, key, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		chunk := bytes.Repeat([]byte("0123456789abcde\n"), 64<<10) // 1 MiB, overflows the buffer
		for range 3 {
			if _, err := p.Write(chunk); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Sync(); err != nil {
				t.Fatal(err)
			}
			// Readers keep seeing the old object until Commit.
			if got := readAll(t, s, key, 0); string(got) != "old results" {
				t.Fatalf("partial data visible under the final key (%d bytes)", len(got))
			}
		}
		if err := p.Commit(); err != nil {
			t.Fatal(err)
		}
		if size, err := s.Stat(ctx, key); err != nil || size != 3*int64(len(chunk)) {
			t.Errorf("after Commit Stat = %d, %v; want %d", size, err, 3*len(chunk))
		}
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		for _, key := range []string{
			"", "/abs", "../escape", "a/../../etc/passwd", "a/./b", "a//b", "a/", ".hidden",
			"a/.tmp", "a\\b", "a b", "a\x00b", "ключ", "x.partial", strings.Repeat("a", maxKeyLen+1),
		} {
			if _, err := s.Put(ctx, key, strings.NewReader("x"), -1); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Put(%q): %v; want ErrInvalidKey", key, err)
			}
			if _, err := s.Open(ctx, key, 0); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Open(%q): %v; want ErrInvalidKey", key, err)
			}
			if _, err := s.Stat(ctx, key); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Stat(%q): %v; want ErrInvalidKey", key, err)
			}
			if _, err := s.CreatePartial(ctx, key, 0); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("CreatePartial(%q): %v; want ErrInvalidKey", key, err)
			}
			if _, _, err := s.PresignUpload(ctx, key, 10, time.Minute); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("PresignUpload(%q): %v; want ErrInvalidKey", key, err)
			}
			if _, err := s.PresignDownload(ctx, key, "x.ndjson", time.Minute); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("PresignDownload(%q): %v; want ErrInvalidKey", key, err)
			}
		}
		for _, pre := range []string{"", "/", "../", "a/../", "/abs", "a//"} {
			if err := s.Delete(ctx, pre); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("Delete(%q): %v; want ErrInvalidKey", pre, err)
			}
		}
	})

	t.Run("PresignedUploadThenRangedDownload", func(t *testing.T) {
		key := prefix(t) + "jobs/j/input.ndjson"
		data := []byte(`{"text":"a"}` + "\n" + `{"text":"b"}` + "\n")
		u, fields, err := s.PresignUpload(ctx, key, int64(len(data)), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if fields["key"] != key {
			t.Fatalf("fields[key] = %q, want %q", fields["key"], key)
		}
		resp := postForm(t, u, sortedFields(fields), data, true)
		if resp.StatusCode/100 != 2 {
			t.Fatalf("presigned upload: %d %s", resp.StatusCode, resp.body)
		}
		if got := readAll(t, s, key, 0); !bytes.Equal(got, data) {
			t.Fatalf("uploaded %q, want %q", got, data)
		}

		d, err := s.PresignDownload(ctx, key, "results.ndjson", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, d, nil)
		req.Header.Set("Range", "bytes=13-")
		r := do(t, req)
		if r.StatusCode != http.StatusPartialContent || r.body != string(data[13:]) {
			t.Errorf("ranged download = %d %q; want 206 %q", r.StatusCode, r.body, data[13:])
		}
	})
}

// Helpers shared by the suite and the Local tests.

func readAll(t *testing.T, s Store, key string, off int64) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key, off)
	if err != nil {
		t.Fatalf("Open(%q, %d): %v", key, off, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return b
}

// syncCheck calls Sync with written bytes written so far and prev durable
// before, and checks the contract every backend keeps: durable never goes
// back or past what was written, and once MinPartSize bytes are pending it
// covers everything.
func syncCheck(t *testing.T, p Partial, written, prev int64) int64 {
	t.Helper()
	d, err := p.Sync()
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if d < prev || d > written {
		t.Fatalf("Sync = %d; want within [%d, %d]", d, prev, written)
	}
	if written-prev >= MinPartSize && d != written {
		t.Fatalf("Sync with %d bytes pending (>= MinPartSize) left durable at %d of %d", written-prev, d, written)
	}
	return d
}

// filler is n bytes of NDJSON-ish lines tagged with c, different per offset
// so a misplaced part shows.
func filler(c byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		switch {
		case i%64 == 63:
			b[i] = '\n'
		case i%64 < 8:
			b[i] = "0123456789abcdef"[(i>>(4*(i%64)))&15]
		default:
			b[i] = c
		}
	}
	return b
}

func mustWrite(t *testing.T, w io.Writer, b []byte) {
	t.Helper()
	if n, err := w.Write(b); err != nil || n != len(b) {
		t.Fatalf("Write = %d, %v; want %d", n, err, len(b))
	}
}

// assertContent compares the object under key with the chunks, streaming.
func assertContent(t *testing.T, s Store, key string, chunks ...[]byte) {
	t.Helper()
	want := bytes.Join(chunks, nil)
	got := readAll(t, s, key, 0)
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s: %d bytes, want %d; first difference at byte %d", key, len(got), len(want), i)
	}
}

func assertInvisible(t *testing.T, s Store, key string) {
	t.Helper()
	if _, err := s.Stat(context.Background(), key); !errors.Is(err, ErrNotExist) {
		t.Errorf("uncommitted %s visible to Stat: %v", key, err)
	}
	if _, err := s.Open(context.Background(), key, 0); !errors.Is(err, ErrNotExist) {
		t.Errorf("uncommitted %s visible to Open: %v", key, err)
	}
}

func writeString(t *testing.T, w io.Writer, s string) {
	t.Helper()
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// cancelAfterReader cancels its context once `after` bytes have been read,
// simulating a request cancelled mid-upload without any timing.
type cancelAfterReader struct {
	r      io.Reader
	cancel context.CancelFunc
	after  int
	n      int
}

func (c *cancelAfterReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n += n; c.n >= c.after {
		c.cancel()
	}
	return n, err
}

type field struct{ name, value string }

// sortedFields turns upload fields into form order, key first like S3 docs show;
// the file always comes last.
func sortedFields(m map[string]string) []field {
	out := []field{{"key", m["key"]}}
	for _, name := range []string{"policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
		if v, ok := m[name]; ok {
			out = append(out, field{name, v})
		}
	}
	for name, v := range m {
		switch name {
		case "key", "policy", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature":
		default:
			out = append(out, field{name, v})
		}
	}
	return out
}

// multipartBody encodes fields in order, then (if withFile) the file part.
func multipartBody(t *testing.T, fields []field, file []byte, withFile bool) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f.name, f.value); err != nil {
			t.Fatal(err)
		}
	}
	if withFile {
		fw, err := mw.CreateFormFile("file", "input.ndjson")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

type response struct {
	*http.Response
	body string
}

func postForm(t *testing.T, u string, fields []field, file []byte, withFile bool) response {
	t.Helper()
	body, ct := multipartBody(t, fields, file, withFile)
	req, err := http.NewRequest(http.MethodPost, u, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	return do(t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp, string(b)}
}
