package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 part sizes.
//
// S3 (and MinIO, and every compatible server) refuses a multipart upload
// whose parts, other than the last, are under 5 MiB, and allows at most
// 10,000 parts. A Partial therefore keeps its unsent bytes in one buffer and
// sends it as a part when it must: on Sync once it holds MinPartSize (see
// blob.go), and on Write once it reaches maxPartSize. The buffer never grows past maxPartSize,
// so a job's memory is flat whatever the size of its results, while parts
// stay big enough that 10,000 of them hold at least 50 GB (and usually far
// more, since parts sent from Write are 16 MiB).
const (
	// maxPartSize bounds a Partial's buffer.
	maxPartSize = 16 << 20
	// maxParts is S3's limit on the parts of one upload.
	maxParts = 10000
	// maxPresignTTL is the longest validity a SigV4 presigned request can have.
	maxPresignTTL = 7 * 24 * time.Hour
	// cleanupTimeout bounds best-effort aborts done after the caller's
	// context has ended.
	cleanupTimeout = 30 * time.Second
	// resultContentType is what stored results and downloads are labelled.
	resultContentType = "application/x-ndjson"
)

// S3Config configures an S3-compatible store (AWS S3, MinIO, versitygw, ...).
type S3Config struct {
	// Endpoint is the API address the appliance uses: "host:port", or a URL
	// "http(s)://host:port" whose scheme then overrides UseSSL.
	Endpoint  string
	AccessKey string
	SecretKey string
	Bucket    string
	// Region is the bucket's region. It is always set on the clients (default
	// "us-east-1", which MinIO and most compatible servers use) so that
	// presigning never looks the region up over the network.
	Region string
	UseSSL bool
	// PublicEndpoint is the address clients reach the store at, when it is
	// not Endpoint (a proxy, a public hostname): "host:port" (with UseSSL) or
	// an http(s) URL. Presigned URLs are made for it, since the host is part
	// of the signature. Empty means Endpoint.
	PublicEndpoint string
}

// S3 is a Store on an S3-compatible object store. Objects live in one bucket
// under their key. Clients upload inputs straight to the store with a
// presigned POST policy and download results with a presigned GET: the
// appliance never proxies those bytes. It is safe for concurrent use.
type S3 struct {
	bucket string
	core   *minio.Core   // API calls: objects, multipart uploads
	public *minio.Client // presigning only: the endpoint clients use
	now    func() time.Time
}

var _ Store = (*S3)(nil)

// NewS3 connects to the store and creates the bucket if it is missing. now is
// the clock used for presigned expiry; nil means time.Now.
func NewS3(ctx context.Context, cfg S3Config, now func() time.Time) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("blob: s3: empty bucket name")
	}
	if cfg.AccessKey == "" || cfg.SecretKey == "" {
		return nil, errors.New("blob: s3: access key and secret key are required")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if now == nil {
		now = time.Now
	}
	host, secure, err := parseEndpoint(cfg.Endpoint, cfg.UseSSL)
	if err != nil {
		return nil, fmt.Errorf("blob: s3 endpoint: %w", err)
	}
	creds := credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	core, err := minio.NewCore(host, &minio.Options{Creds: creds, Secure: secure, Region: cfg.Region})
	if err != nil {
		return nil, fmt.Errorf("blob: s3 client: %w", err)
	}
	public := core.Client
	if cfg.PublicEndpoint != "" {
		phost, psecure, err := parseEndpoint(cfg.PublicEndpoint, cfg.UseSSL)
		if err != nil {
			return nil, fmt.Errorf("blob: s3 public endpoint: %w", err)
		}
		// This client only signs: with the region set it makes no request.
		public, err = minio.New(phost, &minio.Options{Creds: creds, Secure: psecure, Region: cfg.Region})
		if err != nil {
			return nil, fmt.Errorf("blob: s3 public client: %w", err)
		}
	}
	s := &S3{bucket: cfg.Bucket, core: core, public: public, now: now}
	exists, err := core.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("blob: s3: check bucket %s at %s: %w", cfg.Bucket, host, err)
	}
	if !exists {
		err := core.MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{Region: cfg.Region})
		if err != nil {
			// Another appliance (or a retry) may have created it meanwhile.
			code := minio.ToErrorResponse(err).Code
			if code != "BucketAlreadyOwnedByYou" && code != "BucketAlreadyExists" {
				return nil, fmt.Errorf("blob: s3: create bucket %s: %w", cfg.Bucket, err)
			}
		}
	}
	return s, nil
}

// parseEndpoint accepts "host[:port]" or "http(s)://host[:port]" (no path).
func parseEndpoint(ep string, useSSL bool) (host string, secure bool, err error) {
	ep = strings.TrimRight(strings.TrimSpace(ep), "/")
	if ep == "" {
		return "", false, errors.New("empty endpoint")
	}
	if !strings.Contains(ep, "://") {
		if strings.ContainsAny(ep, "/?#") {
			return "", false, fmt.Errorf("%q: want host:port or an http(s) URL without a path", ep)
		}
		return ep, useSSL, nil
	}
	u, err := url.Parse(ep)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", false, fmt.Errorf("%q: want host:port or an http(s) URL without a path", ep)
	}
	return u.Host, u.Scheme == "https", nil
}

// Ping reports whether the bucket is reachable and exists.
func (s *S3) Ping(ctx context.Context) error {
	ok, err := s.core.BucketExists(ctx, s.bucket)
	if err != nil {
		return fmt.Errorf("blob: s3 bucket %s: %w", s.bucket, err)
	}
	if !ok {
		return fmt.Errorf("blob: s3 bucket %s does not exist", s.bucket)
	}
	return nil
}

// isNotFound reports S3's answers for a missing object or upload.
func isNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	switch r.Code {
	case "NoSuchKey", "NoSuchUpload", "NotFound":
		return true
	}
	return r.StatusCode == http.StatusNotFound && r.Code != "NoSuchBucket"
}

// Put stores r under key; see Store.Put. Small objects (under maxPartSize)
// are one PUT; larger ones stream through a multipart upload in parts of
// maxPartSize, so memory stays bounded and the object appears only when the
// upload completes: a failure (too large, reader error, cancel) aborts it and
// leaves any previous object untouched.
func (s *S3) Put(ctx context.Context, key string, r io.Reader, max int64) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, fmt.Errorf("blob: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	src := &ctxReader{ctx: ctx, r: r}
	var lr io.Reader = src
	if max >= 0 {
		lr = io.LimitReader(src, max+1)
	}
	// The upload is created lazily: an object under maxPartSize never starts one.
	p := &s3Partial{s: s, ctx: ctx, key: key, lazy: true}
	n, err := io.CopyBuffer(p, lr, make([]byte, copyBufSize))
	if err == nil && max >= 0 && n > max {
		err = fmt.Errorf("blob: put %s: more than %d bytes: %w", key, max, ErrTooLarge)
	}
	if err != nil {
		p.abort()
		if src.err != nil && errors.Is(err, src.err) {
			return 0, fmt.Errorf("blob: put %s: read: %w", key, err)
		}
		if errors.Is(err, ErrTooLarge) {
			return 0, err
		}
		return 0, fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := p.Commit(); err != nil {
		p.abort()
		return 0, err
	}
	return n, nil
}

// Open streams key from offset with a ranged GET: the body is read as the
// caller reads, never held in memory. A missing key wraps ErrNotExist; an
// offset outside 0..size is an error.
func (s *S3) Open(ctx context.Context, key string, offset int64) (io.ReadCloser, error) {
	return s.open(ctx, key, offset, "")
}

// open is Open, and OpenVersion when version is set. The reader keeps reading the
// version it started with (see s3Reader).
func (s *S3) open(ctx context.Context, key string, offset int64, version string) (io.ReadCloser, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	if offset < 0 {
		return nil, fmt.Errorf("blob: open %s: negative offset %d", key, offset)
	}
	body, info, err := s.get(ctx, key, offset, version)
	if err != nil {
		return nil, err
	}
	if body == nil {
		return io.NopCloser(strings.NewReader("")), nil
	}
	if version == "" {
		version = info.ETag
	}
	return &s3Reader{s: s, ctx: ctx, key: key, etag: version, pos: offset, body: body}, nil
}

// Version returns the ETag of key as it is now: with OpenVersion, a reader that
// starts, stops and starts again (a job across restarts) reads the same bytes or
// fails, even if a client uploads over the key meanwhile (a presigned POST cannot
// be revoked). A missing key wraps ErrNotExist.
func (s *S3) Version(ctx context.Context, key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", fmt.Errorf("blob: version: %w", err)
	}
	info, err := s.core.Client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return "", fmt.Errorf("blob: %s: %w", key, ErrNotExist)
		}
		return "", fmt.Errorf("blob: version %s: %w", key, err)
	}
	return info.ETag, nil
}

// OpenVersion is Open of key only as it was at version (see Version): if it has
// been replaced since, the error wraps ErrChanged.
func (s *S3) OpenVersion(ctx context.Context, key string, offset int64, version string) (io.ReadCloser, error) {
	if version == "" {
		return nil, fmt.Errorf("blob: open %s: empty version", key)
	}
	return s.open(ctx, key, offset, version)
}

// get issues GET key from offset (If-Match etag when set). body is nil when
// offset is exactly the object's size (S3 refuses a range that starts at the
// end, so that case is confirmed with a HEAD).
func (s *S3) get(ctx context.Context, key string, offset int64, etag string) (io.ReadCloser, minio.ObjectInfo, error) {
	opts := minio.GetObjectOptions{}
	if offset > 0 {
		if err := opts.SetRange(offset, 0); err != nil {
			return nil, minio.ObjectInfo{}, fmt.Errorf("blob: open %s: %w", key, err)
		}
	}
	if etag != "" {
		if err := opts.SetMatchETag(etag); err != nil {
			return nil, minio.ObjectInfo{}, fmt.Errorf("blob: open %s: %w", key, err)
		}
	}
	body, info, _, err := s.core.GetObject(ctx, s.bucket, key, opts)
	if err == nil {
		return body, info, nil
	}
	if isNotFound(err) {
		return nil, info, fmt.Errorf("blob: %s: %w", key, ErrNotExist)
	}
	if r := minio.ToErrorResponse(err); etag != "" && (r.StatusCode == http.StatusPreconditionFailed || r.Code == "PreconditionFailed") {
		return nil, info, fmt.Errorf("blob: open %s: %w", key, ErrChanged)
	}
	if r := minio.ToErrorResponse(err); offset > 0 && (r.StatusCode == http.StatusRequestedRangeNotSatisfiable || r.Code == "InvalidRange") {
		st, serr := s.core.Client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
		switch {
		case isNotFound(serr):
			return nil, info, fmt.Errorf("blob: %s: %w", key, ErrNotExist)
		case serr != nil:
			return nil, info, fmt.Errorf("blob: open %s: %w", key, serr)
		case etag != "" && st.ETag != etag:
			return nil, info, fmt.Errorf("blob: open %s: %w", key, ErrChanged)
		case st.Size == offset:
			return nil, st, nil
		}
		return nil, info, fmt.Errorf("blob: open %s: offset %d outside object of %d bytes", key, offset, st.Size)
	}
	return nil, info, fmt.Errorf("blob: open %s: %w", key, err)
}

// s3Reader is an open object. A job reads its input for as long as it takes
// to classify it (hours for a large file), and a connection can break in that
// time; a read error is therefore retried a few times by asking for the rest
// of the object again, from the current position and only if it still is the
// same object (If-Match on the ETag), so the bytes a caller sees never change.
type s3Reader struct {
	s       *S3
	ctx     context.Context
	key     string
	etag    string
	pos     int64
	body    io.ReadCloser
	retries int
	closed  bool
}

const maxReadRetries = 3

func (r *s3Reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("blob: read after close")
	}
	for {
		if r.body == nil {
			return 0, io.EOF
		}
		n, err := r.body.Read(p)
		r.pos += int64(n)
		if err == nil || err == io.EOF || n > 0 {
			return n, err
		}
		if r.ctx.Err() != nil || r.etag == "" || r.retries >= maxReadRetries {
			return 0, fmt.Errorf("blob: read %s at %d: %w", r.key, r.pos, err)
		}
		r.retries++
		r.body.Close()
		r.body = nil
		body, _, gerr := r.s.get(r.ctx, r.key, r.pos, r.etag)
		if gerr != nil {
			return 0, fmt.Errorf("blob: read %s at %d: %w (reopen: %v)", r.key, r.pos, err, gerr)
		}
		r.body = body
	}
}

func (r *s3Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.body != nil {
		return r.body.Close()
	}
	return nil
}

// Stat returns the size of key; missing wraps ErrNotExist.
func (s *S3) Stat(ctx context.Context, key string) (int64, error) {
	if err := checkKey(key); err != nil {
		return 0, fmt.Errorf("blob: stat: %w", err)
	}
	info, err := s.core.Client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if isNotFound(err) {
			return 0, fmt.Errorf("blob: %s: %w", key, ErrNotExist)
		}
		return 0, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return info.Size, nil
}

// Delete removes every object whose key starts with prefix and aborts every
// unfinished multipart upload (partial results) under it. Nothing matching is
// not an error; an invalid prefix wraps ErrInvalidKey.
func (s *S3) Delete(ctx context.Context, prefix string) error {
	if !validPrefix(prefix) {
		return fmt.Errorf("blob: delete %q: %w", truncate(prefix, 80), ErrInvalidKey)
	}
	objects := s.core.Client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true})
	// RemoveObjects drains objects and deletes in batches of 1,000.
	var errs []error
	listErr := make(chan error, 1)
	filtered := make(chan minio.ObjectInfo)
	go func() {
		defer close(filtered)
		var first error
		for o := range objects {
			if o.Err != nil {
				if first == nil {
					first = o.Err
				}
				continue
			}
			select {
			case filtered <- o:
			case <-ctx.Done():
				listErr <- ctx.Err()
				return
			}
		}
		listErr <- first
	}()
	for e := range s.core.Client.RemoveObjects(ctx, s.bucket, filtered, minio.RemoveObjectsOptions{}) {
		if e.Err != nil && !isNotFound(e.Err) {
			errs = append(errs, fmt.Errorf("remove %s: %w", e.ObjectName, e.Err))
		}
	}
	if err := <-listErr; err != nil {
		errs = append(errs, fmt.Errorf("list: %w", err))
	}
	uploads, err := s.uploads(ctx, prefix, false)
	if err != nil {
		errs = append(errs, err)
	}
	for _, u := range uploads {
		if err := s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID); err != nil && !isNotFound(err) {
			errs = append(errs, fmt.Errorf("abort upload of %s: %w", u.Key, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("blob: delete %s: %w", prefix, err)
	}
	return nil
}

// uploads lists the unfinished multipart uploads whose key starts with prefix
// (exact: only those for key == prefix), newest first.
func (s *S3) uploads(ctx context.Context, prefix string, exact bool) ([]minio.ObjectMultipartInfo, error) {
	var out []minio.ObjectMultipartInfo
	keyMarker, idMarker := "", ""
	for {
		res, err := s.core.ListMultipartUploads(ctx, s.bucket, prefix, keyMarker, idMarker, "", 1000)
		if err != nil {
			return nil, fmt.Errorf("list multipart uploads under %s: %w", prefix, err)
		}
		for _, u := range res.Uploads {
			if !exact || u.Key == prefix {
				out = append(out, u)
			}
		}
		if !res.IsTruncated || (res.NextKeyMarker == keyMarker && res.NextUploadIDMarker == idMarker) {
			break
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
	slices.SortStableFunc(out, func(a, b minio.ObjectMultipartInfo) int { return b.Initiated.Compare(a.Initiated) })
	return out, nil
}

// parts lists the uploaded parts of one upload in part-number order.
func (s *S3) parts(ctx context.Context, key, uploadID string) ([]minio.ObjectPart, error) {
	var out []minio.ObjectPart
	marker := 0
	for {
		res, err := s.core.ListObjectParts(ctx, s.bucket, key, uploadID, marker, 1000)
		if err != nil {
			return nil, err
		}
		out = append(out, res.ObjectParts...)
		if !res.IsTruncated || res.NextPartNumberMarker <= marker {
			break
		}
		marker = res.NextPartNumberMarker
	}
	slices.SortFunc(out, func(a, b minio.ObjectPart) int { return a.PartNumber - b.PartNumber })
	return out, nil
}

// CreatePartial starts (offset 0) or resumes (offset > 0) the results written
// under key as an S3 multipart upload; see Store.CreatePartial and Partial.
//
// Why a multipart upload: its parts are durable in the store as soon as each
// is uploaded, yet nothing is visible under key until the upload completes,
// which is exactly a partial's contract; and it needs no second copy of the
// data (an S3 object cannot be appended to, and a server-side compose of
// many objects would be one more copy of the results).
//
// Offset 0 aborts any stale upload for key and starts a new one. Offset > 0
// finds the unfinished upload for key (ListMultipartUploads) and its parts
// (ListObjectParts), keeps the first parts whose sizes sum to exactly offset
// and numbers the next part after them, so any part beyond the checkpoint is
// overwritten or left out of the completed object. A checkpoint is only ever
// taken where Sync reported durable, which is always at a part boundary, so
// such a prefix exists unless the store lost data: then the error says so
// rather than leaving a hole. No unfinished upload for key wraps ErrNotExist.
func (s *S3) CreatePartial(ctx context.Context, key string, offset int64) (Partial, error) {
	if err := checkKey(key); err != nil {
		return nil, fmt.Errorf("blob: create partial: %w", err)
	}
	if offset < 0 {
		return nil, fmt.Errorf("blob: create partial %s: negative offset %d", key, offset)
	}
	existing, err := s.uploads(ctx, key, true)
	if err != nil {
		return nil, fmt.Errorf("blob: create partial %s: %w", key, err)
	}
	p := &s3Partial{s: s, ctx: ctx, key: key}
	if offset == 0 {
		s.abortAll(ctx, key, existing, "")
		id, err := s.core.NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{ContentType: resultContentType})
		if err != nil {
			return nil, fmt.Errorf("blob: create partial %s: %w", key, err)
		}
		p.uploadID = id
		return p, nil
	}
	if len(existing) == 0 {
		return nil, fmt.Errorf("blob: resume partial %s at %d: %w", key, offset, ErrNotExist)
	}
	var why []string
	for _, u := range existing {
		parts, err := s.parts(ctx, key, u.UploadID)
		if err != nil {
			if isNotFound(err) {
				continue // completed or aborted meanwhile
			}
			return nil, fmt.Errorf("blob: resume partial %s: list parts: %w", key, err)
		}
		kept, sums, ok := prefixOf(parts, offset)
		if !ok {
			why = append(why, fmt.Sprintf("upload %s has parts ending at %v", truncate(u.UploadID, 16), sums))
			continue
		}
		s.abortAll(ctx, key, existing, u.UploadID)
		p.uploadID = u.UploadID
		p.parts = kept
		p.durable = offset
		return p, nil
	}
	if len(why) == 0 {
		return nil, fmt.Errorf("blob: resume partial %s at %d: %w", key, offset, ErrNotExist)
	}
	return nil, fmt.Errorf("blob: resume partial %s: the checkpoint is at %d but no prefix of the uploaded parts ends there (%s)",
		key, offset, strings.Join(why, "; "))
}

// prefixOf returns the leading parts (numbered 1, 2, ... without a gap) whose
// sizes sum to exactly offset, and the sums it saw (for the error message).
func prefixOf(parts []minio.ObjectPart, offset int64) (kept []minio.CompletePart, sums []int64, ok bool) {
	var sum int64
	for i, pt := range parts {
		if pt.PartNumber != i+1 || pt.Size <= 0 {
			break
		}
		sum += pt.Size
		sums = append(sums, sum)
		kept = append(kept, minio.CompletePart{PartNumber: pt.PartNumber, ETag: pt.ETag})
		if sum == offset {
			return kept, sums, true
		}
		if sum > offset {
			break
		}
	}
	return nil, sums, false
}

// abortAll aborts the given uploads of key except keep, best effort: a stale
// upload only costs storage until the job's Delete.
func (s *S3) abortAll(ctx context.Context, key string, uploads []minio.ObjectMultipartInfo, keep string) {
	for _, u := range uploads {
		if u.UploadID != keep {
			_ = s.core.AbortMultipartUpload(ctx, s.bucket, key, u.UploadID)
		}
	}
}

// s3Partial is S3's Partial: one multipart upload. Bytes written wait in buf
// until a part is sent (see MinPartSize); parts already sent are durable.
type s3Partial struct {
	s        *S3
	ctx      context.Context
	key      string
	uploadID string // "" until the first part when lazy
	lazy     bool   // Put: start the upload only if the object needs parts
	parts    []minio.CompletePart
	durable  int64 // bytes in sent parts
	buf      []byte
	done     bool
}

func (p *s3Partial) Write(b []byte) (int, error) {
	if p.done {
		return 0, fmt.Errorf("blob: write %s: %w", p.key, errPartialDone)
	}
	n := 0
	for len(b) > 0 {
		if p.buf == nil {
			// Grow to the bound at once: appending would reallocate (and
			// briefly double) a 16 MiB buffer on its way up.
			p.buf = make([]byte, 0, min(maxPartSize, max(len(b), 64<<10)))
		}
		room := maxPartSize - len(p.buf)
		take := min(room, len(b))
		if len(p.buf)+take > cap(p.buf) {
			nb := make([]byte, len(p.buf), maxPartSize)
			copy(nb, p.buf)
			p.buf = nb
		}
		p.buf = append(p.buf, b[:take]...)
		b = b[take:]
		n += take
		if len(p.buf) == maxPartSize {
			if err := p.sendPart(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// sendPart uploads buf as the next part.
func (p *s3Partial) sendPart() error {
	if len(p.parts) >= maxParts {
		return fmt.Errorf("blob: write %s: results exceed S3's limit of %d parts", p.key, maxParts)
	}
	if p.uploadID == "" {
		id, err := p.s.core.NewMultipartUpload(p.ctx, p.s.bucket, p.key, minio.PutObjectOptions{ContentType: resultContentType})
		if err != nil {
			return fmt.Errorf("blob: start upload of %s: %w", p.key, err)
		}
		p.uploadID = id
	}
	num := len(p.parts) + 1
	part, err := p.s.core.PutObjectPart(p.ctx, p.s.bucket, p.key, p.uploadID, num,
		bytes.NewReader(p.buf), int64(len(p.buf)), minio.PutObjectPartOptions{})
	if err != nil {
		return fmt.Errorf("blob: upload part %d of %s: %w", num, p.key, err)
	}
	p.parts = append(p.parts, minio.CompletePart{PartNumber: num, ETag: part.ETag})
	p.durable += int64(len(p.buf))
	p.buf = p.buf[:0]
	return nil
}

// Sync sends the buffer as a part when it holds at least MinPartSize and
// returns the bytes in sent parts. Below MinPartSize it sends nothing (S3
// would refuse the part unless it were the last) and returns the previous
// durable count: the caller then simply does not checkpoint yet.
func (p *s3Partial) Sync() (int64, error) {
	if p.done {
		return 0, fmt.Errorf("blob: sync %s: %w", p.key, errPartialDone)
	}
	if len(p.buf) >= MinPartSize {
		if err := p.sendPart(); err != nil {
			return p.durable, err
		}
	}
	return p.durable, nil
}

// Commit sends the rest as the last part and completes the upload, which
// publishes the object under key (replacing any object there). With no part
// sent at all (small or empty results) it is one PUT instead, since some
// servers refuse to complete an upload whose only part is empty.
func (p *s3Partial) Commit() error {
	if p.done {
		return fmt.Errorf("blob: commit %s: %w", p.key, errPartialDone)
	}
	p.done = true
	ctx := p.ctx
	if len(p.parts) == 0 {
		_, err := p.s.core.Client.PutObject(ctx, p.s.bucket, p.key, bytes.NewReader(p.buf), int64(len(p.buf)),
			minio.PutObjectOptions{ContentType: resultContentType})
		if err != nil {
			p.done = false
			return fmt.Errorf("blob: commit %s: %w", p.key, err)
		}
		p.abort()
		p.buf = nil
		return nil
	}
	if len(p.buf) > 0 {
		if err := p.sendPart(); err != nil {
			p.done = false
			return fmt.Errorf("blob: commit %s: %w", p.key, err)
		}
	}
	if _, err := p.s.core.CompleteMultipartUpload(ctx, p.s.bucket, p.key, p.uploadID, p.parts,
		minio.PutObjectOptions{ContentType: resultContentType}); err != nil {
		p.done = false
		return fmt.Errorf("blob: commit %s: %w", p.key, err)
	}
	p.buf = nil
	return nil
}

// Close releases the buffer without publishing and without aborting the
// upload: a resume needs the parts already sent. Unsent bytes are lost.
func (p *s3Partial) Close() error {
	p.done = true
	p.buf = nil
	return nil
}

// abort cancels the upload, best effort, even when the caller's context has
// ended (Put cancelled mid-stream), so no orphan parts are left behind.
func (p *s3Partial) abort() {
	if p.uploadID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), cleanupTimeout)
	defer cancel()
	_ = p.s.core.AbortMultipartUpload(ctx, p.s.bucket, p.key, p.uploadID)
	p.uploadID = ""
}

// PresignUpload returns the store's own presigned POST policy for key: the
// bucket URL and every form field the store requires (key, bucket, policy,
// x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature). The policy
// admits 0..maxBytes bytes under exactly key until ttl passes. It names no
// other field, since S3 refuses a form field the policy does not name. It is
// signed for PublicEndpoint when set.
func (s *S3) PresignUpload(ctx context.Context, key string, maxBytes int64, ttl time.Duration) (string, map[string]string, error) {
	if err := checkKey(key); err != nil {
		return "", nil, fmt.Errorf("blob: presign upload: %w", err)
	}
	if maxBytes < 0 {
		return "", nil, fmt.Errorf("blob: presign upload %s: negative size limit", key)
	}
	if ttl <= 0 || ttl > maxPresignTTL {
		return "", nil, fmt.Errorf("blob: presign upload %s: ttl %s outside (0, %s]", key, ttl, maxPresignTTL)
	}
	pol := minio.NewPostPolicy()
	for _, err := range []error{
		pol.SetBucket(s.bucket),
		pol.SetKey(key),
		pol.SetExpires(s.now().Add(ttl).UTC()),
		pol.SetContentLengthRange(0, maxBytes),
	} {
		if err != nil {
			return "", nil, fmt.Errorf("blob: presign upload %s: %w", key, err)
		}
	}
	u, fields, err := s.public.PresignedPostPolicy(ctx, pol)
	if err != nil {
		return "", nil, fmt.Errorf("blob: presign upload %s: %w", key, err)
	}
	return u.String(), fields, nil
}

// PresignDownload returns a presigned GET for key, served as an attachment
// named filename ("" means the key's last segment) with Content-Type
// application/x-ndjson. S3 serves Range requests on it. It is signed for
// PublicEndpoint when set.
func (s *S3) PresignDownload(ctx context.Context, key, filename string, ttl time.Duration) (string, error) {
	if err := checkKey(key); err != nil {
		return "", fmt.Errorf("blob: presign download: %w", err)
	}
	if filename == "" {
		filename = path.Base(key)
	}
	if !validFilename(filename) {
		return "", fmt.Errorf("blob: presign download %s: filename %q must be 1..255 printable ASCII characters without quotes, backslashes or slashes", key, truncate(filename, 80))
	}
	if ttl < time.Second || ttl > maxPresignTTL {
		return "", fmt.Errorf("blob: presign download %s: ttl %s outside [1s, %s]", key, ttl, maxPresignTTL)
	}
	q := url.Values{
		"response-content-disposition": {`attachment; filename="` + filename + `"`},
		"response-content-type":        {resultContentType},
	}
	u, err := s.public.PresignedGetObject(ctx, s.bucket, key, ttl, q)
	if err != nil {
		return "", fmt.Errorf("blob: presign download %s: %w", key, err)
	}
	return u.String(), nil
}
