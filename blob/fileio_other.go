//go:build !linux

package blob

import (
	"io"
	"os"
)

// Without Linux's O_DIRECT, sync_file_range and posix_fadvise, copyToFile writes through the
// page cache, the final fsync does all the flushing, and reads get the default readahead.

func alignedBuffer(n int) []byte { return make([]byte, n) }

type directWriter struct{ f *os.File }

func newDirectWriter(f *os.File) *directWriter { return &directWriter{f: f} }

func (w *directWriter) Write(b []byte) (int, error) { return w.f.Write(b) }

func (w *directWriter) startWriteback(off, n int64) {}

func readSequentially(*os.File) {}

// streamFile returns f read from offset (without O_DIRECT, through the page cache).
func streamFile(f *os.File, offset int64) (io.ReadCloser, error) {
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil, err
	}
	return f, nil
}
