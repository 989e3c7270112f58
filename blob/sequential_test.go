package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// smallReads reads r to its end a few hundred bytes at a time.
func smallReads(r io.Reader) ([]byte, error) {
	var out []byte
	p := make([]byte, 777)
	for {
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// TestOpenSequential: OpenSequential reads from any offset to the end exactly what the
// object holds, across block, first-read and later-read boundaries and an unaligned end,
// and fails where Open fails.
func TestOpenSequential(t *testing.T) {
	l := newTestEnv(t).l
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{0, 1, 4095, 4096, 4097, 64<<10 + 17, 3<<20 + 123} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		key := "seq/obj"
		if _, err := l.Put(ctx, key, bytes.NewReader(data), -1); err != nil {
			t.Fatal(err)
		}
		for _, off := range []int{0, 1, 4095, 4096, 4097, 64<<10 + 1, 1 << 20, size - 1, size} {
			if off < 0 || off > size {
				continue
			}
			for _, read := range []func(io.Reader) ([]byte, error){io.ReadAll, smallReads} {
				rc, err := l.OpenSequential(ctx, key, int64(off))
				if err != nil {
					t.Fatal(err)
				}
				got, err := read(rc)
				rc.Close()
				if err != nil {
					t.Fatalf("size %d offset %d: %v", size, off, err)
				}
				if !bytes.Equal(got, data[off:]) {
					t.Fatalf("size %d offset %d: read %d bytes that differ from the object's %d", size, off, len(got), size-off)
				}
			}
		}
		if _, err := l.OpenSequential(ctx, key, int64(size+1)); err == nil {
			t.Fatalf("size %d: opening past the end succeeded", size)
		}
	}
	if _, err := l.OpenSequential(ctx, "seq/missing", 0); !errors.Is(err, ErrNotExist) {
		t.Fatalf("missing object: %v, want ErrNotExist", err)
	}
}
