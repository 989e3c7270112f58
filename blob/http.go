package blob

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
)

// Limits on the text fields that precede the file part; they bound what an
// unauthenticated client can make the appliance hold in memory and read. The form's
// own fields (key, policy, signature, algorithm) are well under 2 KiB.
const (
	maxFieldBytes  = 16 << 10 // one field's value
	maxFieldsBytes = 32 << 10 // all names and values together
	maxFields      = 64
	// maxFormHead bounds every byte before the file's content: preamble, boundaries,
	// part headers and fields. It is read through a small buffer (formHeadBufSize);
	// only an authorised upload gets the large one.
	maxFormHead     = 64 << 10
	formHeadBufSize = 16 << 10
)

// ReceiveUpload handles a multipart/form-data POST to a URL from
// PresignUpload and streams the file into the store. It never buffers the file:
// parts are read with r.MultipartReader, the text fields before the part named
// "file" are collected (each at most 64 KiB, 1 MiB in all, at most 64 fields,
// names case-insensitive, no duplicates), and the file part is copied straight
// into Put. Parts after the file are not read.
//
// Authorization: if the form has policy and x-amz-signature, they must verify
// (signature, not expired, form key == policy key) and the file must be within
// the policy's content-length-range; otherwise the signature in the URL's
// query must verify and the form's key, if sent, must equal the signed key.
// Other S3 fields (x-amz-algorithm, x-amz-credential, x-amz-date,
// Content-Type, success_action_status, ...) are accepted and ignored.
//
// Nothing of the body is read before a signature in the URL's query, if there is
// one, has verified; what precedes the file part is read through a small buffer and
// is at most 64 KiB; the large buffer the file is read through is taken (from a
// pool) only once allow has admitted the upload.
//
// Errors: not multipart, malformed body, oversized or duplicate fields, no file
// part, a policy form without key, a body that breaks off mid-file, or a file
// below the policy minimum wrap ErrBadUpload (a body over an
// http.MaxBytesReader limit also keeps *http.MaxBytesError in the chain); any
// signature, policy, expiry or key problem wraps ErrAccessDenied; more than
// the signed maximum wraps ErrTooLarge. allow(ctx, key, filename) runs after the
// signature verified and before anything is written (filename is the file part's
// Content-Disposition filename, "" if none: the client's name for the file, for
// display only, never a path); its error is returned as
// is; the writer it returns, if not nil, sees every byte of the file in order
// as it is stored (the server counts lines on the way), and an error it returns
// refuses the file and is returned wrapped (errors.As finds it). On error nothing is stored. key is returned as soon as a signature has
// verified (also with later errors), for the caller's logs.
func (l *Local) ReceiveUpload(ctx context.Context, r *http.Request, allow func(ctx context.Context, key, filename string) (io.Writer, error)) (key string, n int64, err error) {
	if _, err := l.CheckUploadURL(r); err != nil {
		return "", 0, err
	}
	fr, err := formReaderFor(r)
	if err != nil {
		return "", 0, err
	}
	fields := make(map[string]string)
	total := 0
	var file io.Reader
	filename := ""
	for file == nil {
		part, err := fr.next()
		if errors.Is(err, errFormHeadTooLarge) {
			return "", 0, fmt.Errorf(`%w: the form before the file part (preamble, part headers and fields) is over %d bytes; send the upload fields, then the file as the last part named "file"`, ErrBadUpload, maxFormHead)
		}
		if errors.Is(err, io.EOF) {
			return "", 0, fmt.Errorf(`%w: no file part (send the fields, then the file as the last part named "file")`, ErrBadUpload)
		}
		if err != nil {
			return "", 0, fmt.Errorf("%w: malformed multipart body: %w", ErrBadUpload, err)
		}
		name := strings.ToLower(part.name)
		switch {
		case name == "":
			return "", 0, fmt.Errorf("%w: a part has no form field name", ErrBadUpload)
		case name == "file":
			file, filename = part.r, part.filename
			continue
		case len(fields) >= maxFields:
			return "", 0, fmt.Errorf("%w: more than %d form fields", ErrBadUpload, maxFields)
		}
		if _, dup := fields[name]; dup {
			return "", 0, fmt.Errorf("%w: form field %q sent twice", ErrBadUpload, truncate(name, 64))
		}
		val, err := io.ReadAll(io.LimitReader(part.r, maxFieldBytes+1))
		if errors.Is(err, errFormHeadTooLarge) {
			return "", 0, fmt.Errorf("%w: the form before the file part is over %d bytes (reading form field %q)", ErrBadUpload, maxFormHead, truncate(name, 64))
		}
		if err != nil {
			return "", 0, fmt.Errorf("%w: reading form field %q: %w", ErrBadUpload, truncate(name, 64), err)
		}
		if len(val) > maxFieldBytes {
			return "", 0, fmt.Errorf("%w: form field %q is over %d bytes", ErrBadUpload, truncate(name, 64), maxFieldBytes)
		}
		if total += len(name) + len(val); total > maxFieldsBytes {
			return "", 0, fmt.Errorf("%w: form fields are over %d bytes in all", ErrBadUpload, maxFieldsBytes)
		}
		fields[name] = string(val)
	}

	formKey, hasKey := fields["key"]
	policy, hasPolicy := fields["policy"]
	sig, hasSig := fields["x-amz-signature"]
	var g uploadGrant
	switch {
	case hasPolicy != hasSig:
		return "", 0, fmt.Errorf("%w: policy and x-amz-signature must be sent together", ErrAccessDenied)
	case hasPolicy && !hasKey:
		return "", 0, fmt.Errorf("%w: missing key field", ErrBadUpload)
	case hasPolicy:
		g, err = l.verifyPolicy(policy, sig, formKey)
	default:
		g, err = l.verifyUploadQuery(r.URL.Query(), formKey, hasKey)
	}
	if err != nil {
		return "", 0, err
	}
	tee, err := allow(ctx, g.key, filename)
	if err != nil {
		return g.key, 0, err
	}
	big := uploadBufs.Get().(*bufio.Reader)
	defer func() {
		big.Reset(nil)
		uploadBufs.Put(big)
	}()
	fr.useBuffer(big, r.Body)
	src := &recordingReader{r: file}
	n, err = l.put(ctx, g.key, src, g.min, g.max, tee)
	if err != nil {
		if src.err != nil && ctx.Err() == nil {
			// The client's body broke off or was malformed: its fault, not the disk's.
			return g.key, 0, fmt.Errorf("%w: reading the file part: %w", ErrBadUpload, src.err)
		}
		return g.key, 0, err
	}
	return g.key, n, nil
}

// uploadBufSize is the read buffer of an upload's file: the boundary scan (bytes.Index)
// and the disk writes run on large blocks (see PERF.md, BenchmarkReceiveUpload).
const uploadBufSize = 1 << 20

// uploadBufs holds the large read buffers between uploads, so that only uploads in
// progress hold one.
var uploadBufs = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, uploadBufSize) }}

// CheckUploadURL verifies, before any of the body is read, the signature an upload
// URL's query carries (a form field may name the key later; ReceiveUpload checks that
// it matches). It returns the signed key, or "" and no error if the query carries no
// signature (a policy form then decides, from fields read under the form-head limit).
// Errors wrap ErrAccessDenied.
func (l *Local) CheckUploadURL(r *http.Request) (string, error) {
	q := r.URL.Query()
	if !q.Has("sig") {
		return "", nil
	}
	g, err := l.verifyUploadQuery(q, "", false)
	if err != nil {
		return "", err
	}
	return g.key, nil
}

// formReaderFor checks that r is a multipart/form-data request with a boundary, as
// http.Request.MultipartReader does, and returns a formReader for its body.
func formReaderFor(r *http.Request) (*formReader, error) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		return nil, fmt.Errorf("%w: request Content-Type isn't multipart/form-data", ErrBadUpload)
	}
	boundary := params["boundary"]
	if boundary == "" {
		return nil, fmt.Errorf("%w: no multipart boundary param in Content-Type", ErrBadUpload)
	}
	return newFormReader(&formHeadReader{r: r.Body, n: maxFormHead}, boundary, formHeadBufSize), nil
}

// recordingReader remembers the first non-EOF error of the request body.
type recordingReader struct {
	r   io.Reader
	err error
}

func (rr *recordingReader) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && rr.err == nil {
		rr.err = err
	}
	return n, err
}

// CheckDownloadURL verifies a download URL's path and signature as ServeDownload does,
// without touching the object, so that a caller can give the connection more time only
// to a signed request (issue 22). Errors wrap ErrAccessDenied.
func (l *Local) CheckDownloadURL(r *http.Request) error {
	_, _, err := l.checkDownload(r)
	return err
}

func (l *Local) checkDownload(r *http.Request) (key, filename string, err error) {
	key, ok := strings.CutPrefix(r.URL.Path, downloadPath)
	if !ok {
		return "", "", fmt.Errorf("%w: not a download URL", ErrAccessDenied)
	}
	if !validKey(key) {
		return "", "", fmt.Errorf("%w: invalid object key in download URL", ErrAccessDenied)
	}
	filename, err = l.verifyDownload(key, r.URL.Query())
	return key, filename, err
}

// ServeDownload answers GET and HEAD on a URL from PresignDownload: the path
// is "/_blob/download/<key>" and the query must carry a valid, unexpired
// signature for exactly that key and the filename. The object is served with
// http.ServeContent (Range, If-Range, HEAD), Content-Type application/x-ndjson
// and Content-Disposition attachment with the signed filename.
//
// Errors: a path that is not a download path or holds an invalid key, and any
// signature problem (another key's signature, tampered filename, expired)
// wrap ErrAccessDenied; a missing object wraps ErrNotExist. On error nothing
// has been written, so the caller writes the error response.
func (l *Local) ServeDownload(w http.ResponseWriter, r *http.Request) error {
	key, filename, err := l.checkDownload(r)
	if err != nil {
		return err
	}
	f, _, modTime, err := l.openFile(key)
	if err != nil {
		return err
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Content-Disposition", `attachment; filename="`+filename+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	// The URL is a bearer credential; shared caches must not keep the body.
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", modTime, f)
	return nil
}
