package blob

import (
	"errors"
	"io"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// alignedBuffer returns a zeroed buffer of n bytes whose first byte is directAlign-aligned.
func alignedBuffer(n int) []byte {
	b := make([]byte, n+directAlign)
	off := int(uintptr(unsafe.Pointer(&b[0])) & (directAlign - 1))
	if off != 0 {
		off = directAlign - off
	}
	return b[off : off+n : off+n]
}

// directWriter writes whole aligned blocks to f with O_DIRECT: the data goes from our
// buffer to the disk without a copy into the page cache, which was more than half of the
// appliance's CPU time while receiving an upload on the measured machine (perf:
// copy_folio_from_iter_atomic), and leaves nothing dirty for the final fsync to wait for.
// Anything else (the tail of the file, or a filesystem that refuses O_DIRECT, such as
// tmpfs) falls back to ordinary buffered writes.
type directWriter struct {
	f      *os.File
	direct bool
}

func newDirectWriter(f *os.File) *directWriter {
	return &directWriter{f: f, direct: setDirect(f, true) == nil}
}

func (w *directWriter) Write(b []byte) (int, error) {
	if w.direct && len(b)%directAlign == 0 && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%directAlign == 0 {
		n, err := w.f.Write(b)
		if !errors.Is(err, unix.EINVAL) || n != 0 {
			return n, err
		}
		// EINVAL before anything was written: the filesystem takes O_DIRECT at open but
		// not this write. Write buffered from here on.
	}
	if w.direct {
		w.direct = false
		if err := setDirect(w.f, false); err != nil {
			return 0, err
		}
	}
	return w.f.Write(b)
}

// startWriteback asks the kernel to start writing f's bytes [off, off+n) to disk without
// waiting (sync_file_range SYNC_FILE_RANGE_WRITE), for buffered writes. It is only a hint:
// durability comes from the fsync at the end, so an error is ignored.
func (w *directWriter) startWriteback(off, n int64) {
	if !w.direct {
		_ = unix.SyncFileRange(int(w.f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
	}
}

func setDirect(f *os.File, on bool) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	err = sc.Control(func(fd uintptr) {
		fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0)
		if err != nil {
			ferr = err
			return
		}
		if on {
			fl |= unix.O_DIRECT
		} else {
			fl &^= unix.O_DIRECT
		}
		_, ferr = unix.FcntlInt(fd, unix.F_SETFL, fl)
	})
	if err != nil {
		return err
	}
	return ferr
}

// readSequentially tells the kernel that f will be read from start to end
// (posix_fadvise SEQUENTIAL: a larger readahead window). Uploads bypass the page cache
// (directWriter), so a job's count pass reads its input from the disk; with the hint it
// keeps the disk busy ahead of the reader (measured on 1 GB cold: 1.45 s → 0.98 s). A hint
// only: an error is ignored.
func readSequentially(f *os.File) {
	_ = unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_SEQUENTIAL)
}

// directReader reads f from start to end with O_DIRECT: the disk's data lands in our
// buffer without passing through the page cache. A job's input was written past the
// cache (directWriter), so a buffered read of it makes the kernel fill the cache page by
// page: 9% of a 3-label job's CPU on the measured machine (issue 23), against ~0.5% for
// the copy out of this buffer. Reads start at 64 KiB and double to 1 MiB, so a reader
// that wants a few lines (a results page) does not pay for a megabyte. A filesystem that
// refuses O_DIRECT, or a read it cannot do directly (EINVAL, e.g. at an unaligned end
// of file), continues with buffered reads from the same position.
type directReader struct {
	f      *os.File
	direct bool
	buf    []byte // filled by the last read; buf[r:] is not consumed yet
	r      int
	skip   int // bytes of the first read before the requested offset
	err    error
}

const (
	directReadMin = 64 << 10
	directReadMax = 1 << 20
)

// streamFile returns a reader of f from offset to its end (see directReader).
func streamFile(f *os.File, offset int64) (io.ReadCloser, error) {
	aligned := offset &^ (directAlign - 1)
	if setDirect(f, true) != nil {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			return nil, err
		}
		readSequentially(f)
		return f, nil
	}
	if _, err := f.Seek(aligned, io.SeekStart); err != nil {
		return nil, err
	}
	return &directReader{f: f, direct: true, skip: int(offset - aligned)}, nil
}

func (d *directReader) Read(p []byte) (int, error) {
	for d.r == len(d.buf) {
		if d.err != nil {
			return 0, d.err
		}
		if err := d.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, d.buf[d.r:])
	d.r += n
	return n, nil
}

// fill reads the next block into buf; an EOF or other error is kept for the Read that
// finds buf consumed.
func (d *directReader) fill() error {
	size := directReadMin
	if c := cap(d.buf); c > 0 {
		size = min(2*c, directReadMax)
	}
	if cap(d.buf) < size {
		d.buf = alignedBuffer(size)
	}
	buf := d.buf[:size]
	n, err := d.f.Read(buf)
	if d.direct && errors.Is(err, unix.EINVAL) && n <= 0 {
		d.direct = false
		if err := setDirect(d.f, false); err != nil {
			return err
		}
		n, err = d.f.Read(buf)
	}
	n = max(n, 0)
	d.buf, d.r, d.err = buf[:n], 0, err
	if d.skip > 0 {
		d.r = min(d.skip, n)
		d.skip -= d.r
	}
	return nil
}

func (d *directReader) Close() error { return d.f.Close() }
