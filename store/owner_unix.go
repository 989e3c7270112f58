//go:build unix

package store

import (
	"os"
	"syscall"
)

// chownLike gives f the owner of the file at like, when this process may (it runs as
// root): a restore run by root for a service that runs as its own user (the systemd
// unit's dynamic user) must leave a database that user can open.
func chownLike(f *os.File, like string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	fi, err := os.Stat(like)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	return f.Chown(int(st.Uid), int(st.Gid))
}
