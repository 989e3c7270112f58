package blob

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path"
	"strconv"
	"time"
)

// URL paths of the appliance's own blob endpoints (the server mounts
// ReceiveUpload and ServeDownload there).
const (
	uploadPath   = "/_blob/upload"
	downloadPath = "/_blob/download/"
)

// Purpose tags are the first thing every MAC covers, so a signature made for
// one kind of grant never verifies as another (an upload URL is no download
// URL, a policy signature no query signature).
const (
	purposeUploadQuery  = "classer-batch/blob/upload-url/v1"
	purposeUploadPolicy = "classer-batch/blob/upload-policy/v1"
	purposeDownload     = "classer-batch/blob/download-url/v1"
)

// policyAlgorithm is what the upload fields announce in x-amz-algorithm. It is
// informational: ReceiveUpload ignores the field, the signature decides.
const policyAlgorithm = "HMAC-SHA256"

// policyBucket is the bucket condition of local POST policies; S3 clients
// expect one, and it keeps a local policy from matching any other shape.
const policyBucket = "local"

// sign returns the hex HMAC-SHA256 of purpose and parts. Every part is length
// prefixed, so no two different part lists produce the same MAC input.
func (l *Local) sign(purpose string, parts ...string) string {
	return hex.EncodeToString(l.mac(purpose, parts...))
}

func (l *Local) mac(purpose string, parts ...string) []byte {
	h := hmac.New(sha256.New, l.secret)
	var n [binary.MaxVarintLen64]byte
	for _, p := range append([]string{purpose}, parts...) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

// verify reports in constant time whether sig (hex) is the MAC of purpose and parts.
func (l *Local) verify(sig, purpose string, parts ...string) bool {
	got, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, l.mac(purpose, parts...))
}

// expiry turns a TTL into the unix second at which a grant stops working,
// rounding up so a grant never lives shorter than asked.
func (l *Local) expiry(ttl time.Duration) (int64, error) {
	if ttl <= 0 {
		return 0, fmt.Errorf("blob: presign: ttl %v must be positive", ttl)
	}
	t := l.now().Add(ttl)
	exp := t.Unix()
	if t.Nanosecond() > 0 {
		exp++
	}
	return exp, nil
}

// expired reports whether a grant valid until exp (unix seconds, exclusive) is over.
func (l *Local) expired(exp int64) bool { return l.now().Unix() >= exp }

// uploadGrant is what a verified upload signature allows.
type uploadGrant struct {
	key      string
	min, max int64
}

// PresignUpload returns the URL and form fields for uploading at most maxBytes
// to key until ttl passes. The URL (publicURL + "/_blob/upload?...") carries
// its own signature over key, expiry and maxBytes, so a form with only key and
// file works; fields are S3 POST-policy style: key, policy (base64 JSON with
// expiration, bucket "local", ["eq","$key",key] and
// ["content-length-range",0,maxBytes]), x-amz-algorithm and x-amz-signature
// (hex HMAC of the base64 policy). An invalid key wraps ErrInvalidKey; a
// negative maxBytes or non-positive ttl is an error.
func (l *Local) PresignUpload(ctx context.Context, key string, maxBytes int64, ttl time.Duration) (string, map[string]string, error) {
	if err := checkKey(key); err != nil {
		return "", nil, fmt.Errorf("blob: presign upload: %w", err)
	}
	if maxBytes < 0 {
		return "", nil, fmt.Errorf("blob: presign upload %s: negative size limit %d", key, maxBytes)
	}
	exp, err := l.expiry(ttl)
	if err != nil {
		return "", nil, err
	}
	expS, maxS := strconv.FormatInt(exp, 10), strconv.FormatInt(maxBytes, 10)
	q := url.Values{
		"key":     {key},
		"expires": {expS},
		"max":     {maxS},
		"sig":     {l.sign(purposeUploadQuery, key, expS, maxS)},
	}
	policy, err := json.Marshal(map[string]any{
		"expiration": time.Unix(exp, 0).UTC().Format(time.RFC3339),
		"conditions": []any{
			map[string]string{"bucket": policyBucket},
			[]any{"eq", "$key", key},
			[]any{"content-length-range", 0, maxBytes},
		},
	})
	if err != nil {
		return "", nil, fmt.Errorf("blob: presign upload %s: %w", key, err)
	}
	p64 := base64.StdEncoding.EncodeToString(policy)
	fields := map[string]string{
		"key":             key,
		"policy":          p64,
		"x-amz-algorithm": policyAlgorithm,
		"x-amz-signature": l.sign(purposeUploadPolicy, p64),
	}
	return l.publicURL + uploadPath + "?" + q.Encode(), fields, nil
}

// verifyUploadQuery checks the short form: the signature in the upload URL's
// query. formKey is the form's key field, if sent (hasKey); it must equal the
// signed key. Failures wrap ErrAccessDenied.
func (l *Local) verifyUploadQuery(q url.Values, formKey string, hasKey bool) (uploadGrant, error) {
	for _, name := range []string{"key", "expires", "max", "sig"} {
		switch len(q[name]) {
		case 0:
			return uploadGrant{}, fmt.Errorf("%w: no policy fields and no signed upload URL (missing %q)", ErrAccessDenied, name)
		case 1:
		default:
			return uploadGrant{}, fmt.Errorf("%w: upload URL has %q more than once", ErrAccessDenied, name)
		}
	}
	key, expS, maxS, sig := q.Get("key"), q.Get("expires"), q.Get("max"), q.Get("sig")
	if !l.verify(sig, purposeUploadQuery, key, expS, maxS) {
		return uploadGrant{}, fmt.Errorf("%w: upload URL signature does not match", ErrAccessDenied)
	}
	// Signed by us, so these parse; checking anyway costs nothing.
	exp, err1 := strconv.ParseInt(expS, 10, 64)
	max, err2 := strconv.ParseInt(maxS, 10, 64)
	if err1 != nil || err2 != nil || max < 0 || !validKey(key) {
		return uploadGrant{}, fmt.Errorf("%w: malformed upload URL", ErrAccessDenied)
	}
	if l.expired(exp) {
		return uploadGrant{}, fmt.Errorf("%w: upload URL expired", ErrAccessDenied)
	}
	if hasKey && formKey != key {
		return uploadGrant{}, fmt.Errorf("%w: form key does not match the signed key", ErrAccessDenied)
	}
	return uploadGrant{key: key, min: 0, max: max}, nil
}

// verifyPolicy checks an S3-style POST policy and its signature, then that the
// form's key is the one the policy names. The signature is checked before the
// policy is even decoded, so nothing unsigned is parsed. Failures wrap
// ErrAccessDenied.
func (l *Local) verifyPolicy(policyB64, sig, formKey string) (uploadGrant, error) {
	if !l.verify(sig, purposeUploadPolicy, policyB64) {
		return uploadGrant{}, fmt.Errorf("%w: policy signature does not match", ErrAccessDenied)
	}
	raw, err := base64.StdEncoding.DecodeString(policyB64)
	if err != nil {
		return uploadGrant{}, fmt.Errorf("%w: malformed policy", ErrAccessDenied)
	}
	p, err := parsePolicy(raw)
	if err != nil {
		return uploadGrant{}, fmt.Errorf("%w: malformed policy: %v", ErrAccessDenied, err)
	}
	if !p.expiration.After(l.now()) {
		return uploadGrant{}, fmt.Errorf("%w: policy expired", ErrAccessDenied)
	}
	if formKey != p.key {
		return uploadGrant{}, fmt.Errorf("%w: form key does not match the policy", ErrAccessDenied)
	}
	return uploadGrant{key: p.key, min: p.min, max: p.max}, nil
}

type parsedPolicy struct {
	expiration time.Time
	key        string
	min, max   int64
}

// parsePolicy accepts exactly the policies PresignUpload writes: any other
// condition is refused, so a future condition cannot be silently ignored.
func parsePolicy(raw []byte) (parsedPolicy, error) {
	var doc struct {
		Expiration string            `json:"expiration"`
		Conditions []json.RawMessage `json:"conditions"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return parsedPolicy{}, err
	}
	var p parsedPolicy
	exp, err := time.Parse(time.RFC3339, doc.Expiration)
	if err != nil {
		return p, fmt.Errorf("expiration: %w", err)
	}
	p.expiration = exp
	var haveBucket, haveKey, haveRange bool
	for _, c := range doc.Conditions {
		var obj map[string]string
		if json.Unmarshal(c, &obj) == nil {
			if len(obj) != 1 || obj["bucket"] != policyBucket || haveBucket {
				return p, errors.New("unexpected bucket condition")
			}
			haveBucket = true
			continue
		}
		var arr []json.RawMessage
		if err := json.Unmarshal(c, &arr); err != nil || len(arr) != 3 {
			return p, errors.New("unexpected condition")
		}
		var op string
		if err := json.Unmarshal(arr[0], &op); err != nil {
			return p, errors.New("unexpected condition")
		}
		switch op {
		case "eq":
			var field, val string
			if json.Unmarshal(arr[1], &field) != nil || json.Unmarshal(arr[2], &val) != nil ||
				field != "$key" || haveKey || !validKey(val) {
				return p, errors.New("unexpected eq condition")
			}
			p.key, haveKey = val, true
		case "content-length-range":
			if json.Unmarshal(arr[1], &p.min) != nil || json.Unmarshal(arr[2], &p.max) != nil ||
				p.min < 0 || p.max < p.min || haveRange {
				return p, errors.New("unexpected content-length-range")
			}
			haveRange = true
		default:
			return p, fmt.Errorf("unsupported condition %q", op)
		}
	}
	if !haveBucket || !haveKey || !haveRange {
		return p, errors.New("policy needs bucket, key and content-length-range conditions")
	}
	return p, nil
}

// PresignDownload returns publicURL + "/_blob/download/<key>?expires=..&filename=..&sig=..",
// good until ttl passes. The signature covers key, expiry and filename, so
// neither can be changed. filename is what the browser saves the file as
// (Content-Disposition); "" means the key's last segment. It must be 1..255
// printable ASCII characters without '"', '\' or '/' (a plain error otherwise);
// an invalid key wraps ErrInvalidKey.
func (l *Local) PresignDownload(ctx context.Context, key, filename string, ttl time.Duration) (string, error) {
	if err := checkKey(key); err != nil {
		return "", fmt.Errorf("blob: presign download: %w", err)
	}
	if filename == "" {
		filename = path.Base(key)
	}
	if !validFilename(filename) {
		return "", fmt.Errorf("blob: presign download %s: filename %q must be 1..255 printable ASCII characters without quotes, backslashes or slashes", key, truncate(filename, 80))
	}
	exp, err := l.expiry(ttl)
	if err != nil {
		return "", err
	}
	expS := strconv.FormatInt(exp, 10)
	q := url.Values{
		"expires":  {expS},
		"filename": {filename},
		"sig":      {l.sign(purposeDownload, key, expS, filename)},
	}
	// Valid keys are made of URL-safe characters, so the path needs no escaping.
	return l.publicURL + downloadPath + key + "?" + q.Encode(), nil
}

// verifyDownload checks a download URL's query for key. Failures wrap
// ErrAccessDenied. It returns the signed filename.
func (l *Local) verifyDownload(key string, q url.Values) (string, error) {
	for _, name := range []string{"expires", "filename", "sig"} {
		switch len(q[name]) {
		case 0:
			return "", fmt.Errorf("%w: download URL is not signed (missing %q)", ErrAccessDenied, name)
		case 1:
		default:
			return "", fmt.Errorf("%w: download URL has %q more than once", ErrAccessDenied, name)
		}
	}
	expS, filename, sig := q.Get("expires"), q.Get("filename"), q.Get("sig")
	if !l.verify(sig, purposeDownload, key, expS, filename) {
		return "", fmt.Errorf("%w: download URL signature does not match", ErrAccessDenied)
	}
	exp, err := strconv.ParseInt(expS, 10, 64)
	if err != nil || !validFilename(filename) {
		return "", fmt.Errorf("%w: malformed download URL", ErrAccessDenied)
	}
	if l.expired(exp) {
		return "", fmt.Errorf("%w: download URL expired", ErrAccessDenied)
	}
	return filename, nil
}

// validFilename keeps the Content-Disposition header trivially well-formed.
func validFilename(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '/' {
			return false
		}
	}
	return true
}
