package main

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// directIOHere reports whether the temp dir's filesystem does what blob's O_DIRECT tests
// need in order to run rather than skip: it takes the flag and refuses an unaligned read
// (tmpfs and some others do not).
func directIOHere() bool {
	f, err := os.CreateTemp("", "mutate-direct-")
	if err != nil {
		return false
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := f.Write(make([]byte, 8<<10+3)); err != nil {
		return false
	}
	fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil {
		return false
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_SETFL, fl|unix.O_DIRECT); err != nil {
		return false
	}
	if _, err := f.Seek(1, io.SeekStart); err != nil {
		return false
	}
	_, err = f.Read(make([]byte, 4096))
	return errors.Is(err, unix.EINVAL)
}
