//go:build !unix

package store

import "os"

// chownLike: only Unix has owners to carry over.
func chownLike(f *os.File, like string) error { return nil }
