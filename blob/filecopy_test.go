package blob

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestCopyToFile: whatever the size relative to the block size (direct writes of whole
// blocks, a buffered tail), the file holds exactly the input, and so does the tee.
func TestCopyToFile(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{0, 1, directAlign - 1, directAlign, copyBufSize - 1, copyBufSize, copyBufSize + 1,
		7*copyBufSize/2 + 13, copyBuffers*copyBufSize*2 + directAlign} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		path := filepath.Join(t.TempDir(), "out")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		// A reader that returns odd-sized pieces, as a request body does.
		var tee bytes.Buffer
		n, rerr, werr := copyToFile(f, io.MultiReader(bytes.NewReader(data[:size/3]), bytes.NewReader(data[size/3:])), &tee)
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if n != int64(size) || rerr != nil || werr != nil {
			t.Fatalf("size %d: copyToFile = %d, %v, %v", size, n, rerr, werr)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("size %d: file differs from the input (len %d)", size, len(got))
		}
		if !bytes.Equal(tee.Bytes(), data) {
			t.Fatalf("size %d: the tee saw %d bytes that differ from the input", size, tee.Len())
		}
	}
}

// TestCopyToFileErrors: a read error comes back as the read error; a write error comes back
// as the write error and stops the reading instead of draining the whole body.
func TestCopyToFileErrors(t *testing.T) {
	dir := t.TempDir()
	f, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	boom := errors.New("client went away")
	r := io.MultiReader(bytes.NewReader(make([]byte, 3*copyBufSize+5)), errReader{boom})
	if n, rerr, werr := copyToFile(f, r, nil); !errors.Is(rerr, boom) || werr != nil || n != 3*copyBufSize+5 {
		t.Errorf("read error: copyToFile = %d, %v, %v; want all bytes, %v, nil", n, rerr, werr, boom)
	}

	ro, err := os.Open(filepath.Join(dir, "out")) // read-only: every write fails
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	src := &countingReader{r: zeros{}}
	n, rerr, werr := copyToFile(ro, io.LimitReader(src, 1<<40), nil)
	if werr == nil || rerr != nil {
		t.Fatalf("write error: copyToFile = %d, %v, %v; want a write error", n, rerr, werr)
	}
	if src.n > int64(copyBuffers+2)*copyBufSize {
		t.Errorf("after the first failed write copyToFile read %d bytes; want at most a few blocks", src.n)
	}
}

// TestDirectWriterFallsBack: where an O_DIRECT write is refused (here: the file offset is
// not block-aligned, as on filesystems that accept the flag but not the write), the writer
// writes buffered from then on and the file is still exactly what was written.
func TestDirectWriterFallsBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write([]byte("x")); err != nil { // before O_DIRECT: the offset is now 1
		t.Fatal(err)
	}
	w := newDirectWriter(f)
	block := alignedBuffer(copyBufSize)
	for i := range block {
		block[i] = byte(i % 251)
	}
	for range 2 {
		if n, err := w.Write(block); n != len(block) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(block))
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := append([]byte("x"), append(slices.Clone(block), block...)...)
	if !bytes.Equal(got, want) {
		t.Fatalf("file has %d bytes that differ from the %d written", len(got), len(want))
	}
}
