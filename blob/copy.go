package blob

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/minio/minio-go/v7"
)

// Copy makes the object under dst a copy of the one under src without the bytes passing
// through the appliance's memory (issue 26: a rerun reuses its job's input, up to 5 GB).
// On local disk it is a hard link, so it costs no space and no time; an object is never
// changed in place (Put renames a new file over it), so the two names cannot drift apart.
// Where a link cannot be made (another file system, a file system without links) the file
// is copied. A missing src wraps ErrNotExist.
func (l *Local) Copy(ctx context.Context, src, dst string) error {
	if err := checkKey(src); err != nil {
		return fmt.Errorf("blob: copy: %w", err)
	}
	if err := checkKey(dst); err != nil {
		return fmt.Errorf("blob: copy: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	from, to := l.path(src), l.path(dst)
	if _, err := os.Stat(from); err != nil {
		return mapNotExist(src, err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
		return fmt.Errorf("blob: copy %s: %w", dst, err)
	}
	// A link cannot replace a file: an earlier object under dst goes first.
	if err := os.Remove(to); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("blob: copy %s: %w", dst, err)
	}
	if err := os.Link(from, to); err == nil {
		return syncDir(filepath.Dir(to))
	}
	f, err := os.Open(from)
	if err != nil {
		return mapNotExist(src, err)
	}
	defer f.Close()
	if _, err := l.Put(ctx, dst, f, -1); err != nil {
		return fmt.Errorf("blob: copy %s to %s: %w", src, dst, err)
	}
	return nil
}

// Copy makes dst a server-side copy of src: ComposeObject does one CopyObject up to
// 5 GiB and a multipart copy (UploadPartCopy) above, so the bytes never leave the store.
func (s *S3) Copy(ctx context.Context, src, dst string) error {
	if err := checkKey(src); err != nil {
		return fmt.Errorf("blob: copy: %w", err)
	}
	if err := checkKey(dst); err != nil {
		return fmt.Errorf("blob: copy: %w", err)
	}
	_, err := s.core.Client.ComposeObject(ctx,
		minio.CopyDestOptions{Bucket: s.bucket, Object: dst},
		minio.CopySrcOptions{Bucket: s.bucket, Object: src})
	if err != nil {
		if isNotFound(err) {
			return fmt.Errorf("blob: %s: %w", src, ErrNotExist)
		}
		return fmt.Errorf("blob: copy %s to %s: %w", src, dst, err)
	}
	return nil
}
