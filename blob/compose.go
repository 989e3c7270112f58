package blob

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"
)

// ComposePart is one object Compose puts into the composed one.
type ComposePart struct {
	Key  string
	Size int64
}

// Compose publishes under dst the objects srcs end to end (cluster mode's finalize: the
// shards' result parts become the job's results), as one multipart upload. A part of at
// least MinPartSize is copied by the store itself (UploadPartCopy), without its bytes
// passing through the appliance; S3 refuses parts under MinPartSize except the last, so
// consecutive small parts are streamed together into one uploaded part instead. The
// upload is aborted on any failure: none is left open. Composing the same srcs again
// gives the same object.
func (s *S3) Compose(ctx context.Context, dst string, srcs []ComposePart) (err error) {
	if err := checkKey(dst); err != nil {
		return fmt.Errorf("blob: compose: %w", err)
	}
	var total int64
	for _, p := range srcs {
		total += p.Size
	}
	if total == 0 { // some servers refuse to complete an upload whose only part is empty
		_, err := s.Put(ctx, dst, eofReader{}, 0)
		return err
	}
	// An upload a composer left open (it died half-way; another composes now) is aborted,
	// before and after this one: none is left open.
	s.abortStale(ctx, dst)
	defer s.abortStale(ctx, dst)
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, dst, minio.PutObjectOptions{ContentType: resultContentType})
	if err != nil {
		return fmt.Errorf("blob: compose %s: %w", dst, err)
	}
	defer func() {
		if err != nil {
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
			_ = s.core.AbortMultipartUpload(actx, s.bucket, dst, id)
		}
	}()
	var parts []minio.CompletePart
	var group []ComposePart
	var size int64
	flush := func() error {
		num := len(parts) + 1
		var part minio.CompletePart
		var err error
		if len(group) == 1 {
			part, err = s.core.CopyObjectPart(ctx, s.bucket, group[0].Key, s.bucket, dst, id, num, 0, size, nil)
		} else {
			var op minio.ObjectPart
			op, err = s.core.PutObjectPart(ctx, s.bucket, dst, id, num, &concatReader{ctx: ctx, s: s, parts: group}, size, minio.PutObjectPartOptions{})
			part = minio.CompletePart{PartNumber: num, ETag: op.ETag}
		}
		if err != nil {
			return fmt.Errorf("blob: compose %s: part %d: %w", dst, num, err)
		}
		part.PartNumber = num
		parts = append(parts, part)
		group, size = nil, 0
		return nil
	}
	for _, p := range srcs {
		if p.Size == 0 {
			continue
		}
		group = append(group, p)
		size += p.Size
		if size >= MinPartSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(group) > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	if len(parts) > maxParts {
		return fmt.Errorf("blob: compose %s: %d parts, over S3's limit of %d", dst, len(parts), maxParts)
	}
	if _, err := s.core.CompleteMultipartUpload(ctx, s.bucket, dst, id, parts, minio.PutObjectOptions{ContentType: resultContentType}); err != nil {
		return fmt.Errorf("blob: compose %s: %w", dst, err)
	}
	return nil
}

func (s *S3) abortStale(ctx context.Context, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if ups, err := s.uploads(ctx, key, true); err == nil {
		s.abortAll(ctx, key, ups, "")
	}
}

// OpenUploads lists the multipart uploads under prefix that are still open.
func (s *S3) OpenUploads(ctx context.Context, prefix string) ([]string, error) {
	ups, err := s.uploads(ctx, prefix, false)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(ups))
	for i, u := range ups {
		keys[i] = u.Key
	}
	return keys, nil
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// concatReader reads parts one after the other, opening each only when it is reached.
type concatReader struct {
	ctx   context.Context
	s     *S3
	parts []ComposePart
	cur   io.ReadCloser
}

func (c *concatReader) Read(p []byte) (int, error) {
	for {
		if c.cur == nil {
			if len(c.parts) == 0 {
				return 0, io.EOF
			}
			rc, err := c.s.Open(c.ctx, c.parts[0].Key, 0)
			if err != nil {
				return 0, err
			}
			c.cur, c.parts = rc, c.parts[1:]
		}
		n, err := c.cur.Read(p)
		if errors.Is(err, io.EOF) {
			c.cur.Close()
			c.cur = nil
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}
