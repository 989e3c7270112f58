//go:build !(linux || darwin || freebsd)

package blob

import (
	"errors"
	"fmt"
)

// FreeBytes is not measured on this platform; the admin system page shows null.
func (l *Local) FreeBytes() (int64, error) {
	return 0, fmt.Errorf("blob: free space of %s: %w", l.dir, errors.ErrUnsupported)
}
