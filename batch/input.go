package batch

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

	// ErrInputTooLarge means the decompressed input went over Limits.MaxInputBytes:
	// a decompression bomb, or a file that is simply too big.
	ErrInputTooLarge = errors.New("decompressed input is too large")

	// ErrZstdWindow means a zstd input asks for more decoding memory (its window, or
	// its whole content for a single-segment frame) than maxZstdWindow.
	ErrZstdWindow = fmt.Errorf("the zstd file needs more than %d MiB of memory to decompress (its window); "+
		"compress it again with zstd -19 or a lower level, without --long or --ultra", maxZstdWindow>>20)
)

// maxZstdWindow bounds what one zstd decoder holds: zstd up to -19 uses at most 8 MiB,
// while a hostile frame could ask for gigabytes (issue 22 #11).
const maxZstdWindow = 64 << 20

// openInput opens a job's input positioned at offset of its decompressed stream.
// Users upload .ndjson.gz and .ndjson.zst files as they are: compression is
// detected from the magic bytes, not the name. A plain file is opened at offset
// directly; a compressed one has no index, so it is decompressed from the start
// and the first offset bytes are skipped.
func openInput(ctx context.Context, blobs opener, key string, offset int64, limits Limits) (io.ReadCloser, error) {
	f, err := blobs.Open(ctx, key, 0)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 64<<10)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		f.Close()
		return nil, fmt.Errorf("read input: %w", err)
	}
	var dec io.Reader
	var closeDec func()
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("gzip input: %w", err)
		}
		dec, closeDec = zr, func() { zr.Close() }
	case bytes.HasPrefix(head, zstdMagic):
		// One goroutine and a bounded window keep memory flat whatever the file says; the
		// memory bound also refuses a single-segment frame whose window is its whole
		// (declared) content.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(maxZstdWindow), zstd.WithDecoderMaxMemory(maxZstdWindow))
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("zstd input: %w", err)
		}
		dec, closeDec = zstdReader{zr}, zr.Close
	default:
		if offset == 0 {
			return readCloser{br, f.Close}, nil
		}
		f.Close()
		return blobs.Open(ctx, key, offset)
	}
	// Reaching offset decompresses everything before it: a reader that has gone away
	// (a /lines client, a cancelled job) must stop that work at once (issue 22 #3).
	dec = ctxReader{ctx, dec}
	lr := &capReader{r: dec, left: limits.MaxInputBytes - offset}
	lr.limit = limits.MaxInputBytes
	rc := readCloser{lr, func() error { closeDec(); return f.Close() }}
	if offset > 0 {
		if _, err := io.CopyN(io.Discard, dec, offset); err != nil {
			rc.Close()
			return nil, fmt.Errorf("skip to byte %d of the decompressed input: %w", offset, err)
		}
	}
	return rc, nil
}

// opener is the one storage method openInput needs.
type opener interface {
	Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
}

// versioned is implemented by stores where a job's input can be replaced while the job
// runs: on S3 a presigned POST cannot be revoked and stays valid until it expires (local
// uploads are refused once a job has started). Version names the object as it is now;
// OpenVersion opens it only as it was at that version and fails otherwise, so a job that
// stops and resumes never mixes two files' lines.
type versioned interface {
	Version(ctx context.Context, key string) (string, error)
	OpenVersion(ctx context.Context, key string, offset int64, version string) (io.ReadCloser, error)
}

// sequential is a store that can open an object for one pass to its end in a cheaper way
// than Open (local disk: past the page cache, blob.Local.OpenSequential).
type sequential interface {
	OpenSequential(ctx context.Context, key string, offset int64) (io.ReadCloser, error)
}

// pinned opens a job's input: at version when the store has versions and one was
// recorded, else for a sequential pass where the store has one (every reader of an
// input reads on from where it starts).
type pinned struct {
	opener
	version string
}

func (p pinned) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	if v, ok := p.opener.(versioned); ok && p.version != "" {
		return v.OpenVersion(ctx, key, offset, p.version)
	}
	if s, ok := p.opener.(sequential); ok {
		return s.OpenSequential(ctx, key, offset)
	}
	return p.opener.Open(ctx, key, offset)
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }

// zstdReader names the limit when the decoder refuses a frame's window.
type zstdReader struct{ r io.Reader }

func (z zstdReader) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		err = fmt.Errorf("%w (%w)", ErrZstdWindow, err)
	}
	return n, err
}

// ctxReader fails once ctx is done; decompressors read their source in pieces of tens
// of KB, so no more than that is decompressed after a cancel.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// capReader fails with ErrInputTooLarge past its budget instead of silently
// truncating, so a bomb fails the job cleanly.
type capReader struct {
	r     io.Reader
	left  int64
	limit int64 // the whole budget (limits.max_input_bytes), for the error
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// Distinguish "exactly at the cap" from "over it".
		var one [1]byte
		if n, _ := io.ReadFull(c.r, one[:]); n > 0 {
			return 0, fmt.Errorf("%w: over %d bytes, the limit set by limits.max_input_bytes", ErrInputTooLarge, c.limit)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
