package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// residentPages counts the pages of the file at path that are in the page cache.
func residentPages(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (len(m)+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatal(errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// TestOpenSequentialBypassesPageCache: a job's pass over its input leaves the page cache
// as it found it (O_DIRECT), where Open fills it with every page read.
func TestOpenSequentialBypassesPageCache(t *testing.T) {
	l := newTestEnv(t).l
	ctx := context.Background()
	const key = "seq/input"
	path := l.path(key)
	if err := os.MkdirAll(path[:len(path)-len("/input")], 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, make([]byte, 4<<20+100), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := setDirect(f, true); err != nil {
		f.Close()
		t.Skipf("the test directory's filesystem refuses O_DIRECT: %v", err)
	}
	evict := func() {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			t.Fatal(err)
		}
	}
	defer f.Close()
	readAll := func(open func(context.Context, string, int64) (io.ReadCloser, error)) int {
		evict()
		if n := residentPages(t, path); n != 0 {
			t.Skipf("%d pages stay cached after FADV_DONTNEED", n)
		}
		rc, err := open(ctx, key, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		if n, err := io.Copy(io.Discard, rc); err != nil || n != 4<<20+100 {
			t.Fatalf("read %d bytes, %v", n, err)
		}
		return residentPages(t, path)
	}
	if n := readAll(l.Open); n < 1024 {
		t.Skipf("a buffered read left only %d pages cached: nothing to compare with", n)
	}
	if n := readAll(l.OpenSequential); n > 1 {
		t.Fatalf("OpenSequential left %d of the file's pages in the page cache, want at most the unaligned tail's", n)
	}
}

// TestDirectReaderFallsBack: where a direct read is refused (here: the file offset is not
// block-aligned, as after a short read), the reader reads on buffered from the same
// position and returns exactly the file's bytes.
func TestDirectReaderFallsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in")
	data := make([]byte, 200<<10+3)
	for i := range data {
		data[i] = byte(i % 251)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := setDirect(f, true); err != nil {
		t.Skipf("the test directory's filesystem refuses O_DIRECT: %v", err)
	}
	if _, err := f.Seek(1, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	// Some filesystems take the flag but read unaligned anyway (tmpfs): nothing falls back.
	if _, err := f.ReadAt(make([]byte, 4096), 1); !errors.Is(err, unix.EINVAL) {
		t.Skipf("the test directory's filesystem reads unaligned with O_DIRECT (err %v): nothing to fall back from", err)
	}
	d := &directReader{f: f, direct: true}
	got, err := io.ReadAll(d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data[1:]) {
		t.Fatalf("read %d bytes that differ from the file's last %d", len(got), len(data)-1)
	}
	if d.direct {
		t.Fatal("the unaligned read did not fall back to buffered reads (did it fail with EINVAL?)")
	}
}
