package batch

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/classer-ai/classer-batch/blob"
	"github.com/classer-ai/classer-batch/classify"
)

func gz(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func zst(t *testing.T, b []byte) []byte {
	var out bytes.Buffer
	w, err := zstd.NewWriter(&out)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	return out.Bytes()
}

func localStore(t *testing.T) *blob.Local {
	t.Helper()
	l, err := blob.NewLocal(t.TempDir(), bytes.Repeat([]byte{7}, 32), "http://127.0.0.1:1", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestCompressedInput: gzip and zstd inputs give exactly the plain file's results,
// and opening at an offset of the decompressed stream resumes at the same byte.
func TestCompressedInput(t *testing.T) {
	ctx := context.Background()
	plain := []byte(testInput(1500))
	st := localStore(t)
	spec := testSpec(t, classify.ModeSingle)
	want := process(t, string(plain), spec, 2, Limits{})
	for name, data := range map[string][]byte{"plain": plain, "gzip": gz(t, plain), "zstd": zst(t, plain)} {
		t.Run(name, func(t *testing.T) {
			key := "jobs/x/" + name
			if _, err := st.Put(ctx, key, bytes.NewReader(data), 1<<30); err != nil {
				t.Fatal(err)
			}
			for _, off := range []int64{0, 1, 4096, int64(len(plain)) - 3} {
				rc, err := openInput(ctx, st, key, off, Limits{}.withDefaults())
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, plain[off:]) {
					t.Fatalf("offset %d: got %d bytes, want the plain file's %d", off, len(got), len(plain)-int(off))
				}
			}
			rc, _ := openInput(ctx, st, key, 0, Limits{}.withDefaults())
			defer rc.Close()
			var out bytes.Buffer
			if _, err := Process(ctx, rc, &out, spec, testModel(t, spec), 2, Limits{}, nil); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatal("results of the compressed input differ from the plain file's")
			}
		})
	}
}

// TestDecompressionBomb: a small file that inflates past the cap fails cleanly.
func TestDecompressionBomb(t *testing.T) {
	ctx := context.Background()
	st := localStore(t)
	line := []byte(`{"text":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}` + "\n")
	bomb := bytes.Repeat(line, 200_000) // 9.6 MB that compresses to a few KB
	for name, data := range map[string][]byte{"gzip": gz(t, bomb), "zstd": zst(t, bomb)} {
		key := "jobs/bomb/" + name
		if _, err := st.Put(ctx, key, bytes.NewReader(data), 1<<30); err != nil {
			t.Fatal(err)
		}
		limits := Limits{MaxInputBytes: 1 << 20}.withDefaults()
		rc, err := openInput(ctx, st, key, 0, limits)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if !errors.Is(err, ErrInputTooLarge) {
			t.Fatalf("%s: %v, want ErrInputTooLarge", name, err)
		}
		// Exactly at the cap is fine.
		rc, _ = openInput(ctx, st, key, 0, Limits{MaxInputBytes: int64(len(bomb))}.withDefaults())
		n, err := io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil || n != int64(len(bomb)) {
			t.Fatalf("%s at the cap: %d bytes, %v", name, n, err)
		}
	}
}
