package blob

import (
	"io"
	"os"
)

// directAlign is the buffer, offset and length alignment that O_DIRECT writes need (the
// largest logical block size in common use); copyBufSize is a multiple of it.
const directAlign = 4096

// copyBuffers is how many copyBufSize buffers a copy into a file cycles through:
// one being filled, one being written, and slack for uneven speeds.
const copyBuffers = 4

// writebackEvery is how often copyToFile asks the kernel to start writing what it has
// written so far. Without it the whole file sits dirty in the page cache until the final
// fsync, which then waits for all of it (about a second per GB here); with it, the disk
// works while the body is still arriving and the fsync waits only for the tail.
const writebackEvery = 16 << 20

// copyToFile copies r into f until r's EOF, reading and writing on two goroutines so the
// request body is parsed on one core while the previous block goes to disk on the other.
// Memory is copyBuffers×copyBufSize whatever the size. tee, if not nil, gets each block
// after it is written, on the writer goroutine (which mostly waits for the disk); its
// error stops the copy as a write error does. A read
// error is returned as is (so the caller can tell the client's fault from the disk's); a
// write error stops the reading at the next block. The writer goroutine has ended when
// copyToFile returns.
func copyToFile(f *os.File, r io.Reader, tee io.Writer) (n int64, readErr, writeErr error) {
	free := make(chan []byte, copyBuffers)
	for range copyBuffers {
		free <- alignedBuffer(copyBufSize)
	}
	full := make(chan []byte, copyBuffers)
	failed := make(chan struct{}) // closed by the writer on its first error
	wdone := make(chan error, 1)
	w := newDirectWriter(f)
	go func() {
		var off, flushed int64
		var err error
		for b := range full {
			if err == nil {
				err = writeBlock(w, b, tee)
				off += int64(len(b))
				switch {
				case err != nil:
					close(failed)
				case off-flushed >= writebackEvery:
					w.startWriteback(flushed, off-flushed)
					flushed = off
				}
			}
			free <- b[:cap(b)]
		}
		wdone <- err
	}()
	for readErr == nil {
		var b []byte
		// failed first: once the writer has failed it still hands back buffers, and a select
		// that found both ready would pick free half the time and read on.
		select {
		case <-failed:
		default:
			select {
			case b = <-free:
			case <-failed:
			}
		}
		if b == nil {
			break
		}
		// Fill the whole block (not io.ReadFull: it would turn the source's own
		// io.ErrUnexpectedEOF, a body that broke off, into a normal end).
		k := 0
		var err error
		for k < len(b) && err == nil {
			var m int
			m, err = r.Read(b[k:])
			k += m
		}
		if k > 0 {
			n += int64(k)
			full <- b[:k]
		}
		switch {
		case err == io.EOF:
			close(full)
			return n, nil, <-wdone
		case err != nil:
			readErr = err
		}
	}
	close(full)
	return n, readErr, <-wdone
}

// writeBlock writes b to w, then shows it to tee (the upload's line count and its check
// that the file is NDJSON). An error of tee's refuses the file: it stops the copy like a
// disk error, and is returned as is for the caller to map.
func writeBlock(w *directWriter, b []byte, tee io.Writer) error {
	if _, err := w.Write(b); err != nil {
		return err
	}
	if tee != nil {
		if _, err := tee.Write(b); err != nil {
			return err
		}
	}
	return nil
}
