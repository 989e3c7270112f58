//go:build linux || darwin || freebsd

package blob

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// FreeBytes is the space an unprivileged writer can still use on the file system that
// holds the objects (statfs's available blocks, not its free ones: the root reserve is
// not the appliance's to fill).
func (l *Local) FreeBytes() (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(l.dir, &st); err != nil {
		return 0, fmt.Errorf("blob: statfs %s: %w", l.dir, err)
	}
	return int64(uint64(st.Bavail) * uint64(st.Bsize)), nil
}
