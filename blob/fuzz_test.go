package blob

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// independentMAC recomputes a signature without Local's code, so the fuzz
// targets check the signing scheme rather than the code against itself.
func independentMAC(secret []byte, parts ...string) []byte {
	h := hmac.New(sha256.New, secret)
	for _, p := range parts {
		h.Write(binary.AppendUvarint(nil, uint64(len(p))))
		h.Write([]byte(p))
	}
	return h.Sum(nil)
}

// fuzzLocal is the store every fuzz target signs with, at a fixed clock.
func fuzzLocal(f *testing.F) (*Local, []byte) {
	secret := bytes.Repeat([]byte{9}, SecretLen)
	clock := &testClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	l, err := NewLocal(f.TempDir(), secret, "http://127.0.0.1:8080", clock.Now)
	if err != nil {
		f.Fatal(err)
	}
	return l, secret
}

func FuzzVerifyPolicy(f *testing.F) {
	l, secret := fuzzLocal(f)
	const key = "jobs/batch_a/input.ndjson"
	_, fields, err := l.PresignUpload(context.Background(), key, 100, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	p64, sig := fields["policy"], fields["x-amz-signature"]
	raw, _ := base64.StdEncoding.DecodeString(p64)
	f.Add(p64, sig, key)
	f.Add(p64, sig, "jobs/batch_b/input.ndjson")
	f.Add(p64, strings.ToUpper(sig), key)
	f.Add(p64, sig[:len(sig)-2], key)
	f.Add(base64.StdEncoding.EncodeToString(bytes.Replace(raw, []byte("100"), []byte("999"), 1)), sig, key)
	f.Add("", "", "")
	f.Add("e30=", "", "") // {}
	f.Add("!!!", "zz", "../x")
	f.Add(base64.StdEncoding.EncodeToString([]byte(`{"expiration":"2099-01-01T00:00:00Z","conditions":[["eq","$key","a"],["content-length-range",0,1],{"bucket":"local"}]}`)), sig, "a")

	f.Fuzz(func(t *testing.T, policy, sig, formKey string) {
		g, err := l.verifyPolicy(policy, sig, formKey)
		if err != nil {
			return
		}
		want := independentMAC(secret, purposeUploadPolicy, policy)
		got, herr := hex.DecodeString(sig)
		if herr != nil || !hmac.Equal(got, want) {
			t.Fatalf("verified a policy that was not signed: policy=%q sig=%q", policy, sig)
		}
		if g.key != formKey || !validKey(g.key) || g.min < 0 || g.max < g.min {
			t.Fatalf("verified grant %+v for form key %q", g, formKey)
		}
	})
}

func FuzzVerifyDownload(f *testing.F) {
	l, secret := fuzzLocal(f)
	const key = "jobs/batch_a/results.ndjson"
	u, err := l.PresignDownload(context.Background(), key, "r.ndjson", time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	pu, _ := url.Parse(u)
	f.Add(key, pu.RawQuery)
	f.Add("jobs/batch_b/results.ndjson", pu.RawQuery)
	f.Add(key, pu.RawQuery+"&sig=00")
	f.Add(key, "expires=1&filename=a&sig=zz")
	f.Add("", "")

	f.Fuzz(func(t *testing.T, key, rawQuery string) {
		q, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		name, err := l.verifyDownload(key, q)
		if err != nil {
			return
		}
		want := independentMAC(secret, purposeDownload, key, q.Get("expires"), name)
		got, herr := hex.DecodeString(q.Get("sig"))
		if herr != nil || !hmac.Equal(got, want) || !validFilename(name) {
			t.Fatalf("verified an unsigned download: key=%q query=%q", key, rawQuery)
		}
	})
}

func FuzzValidKey(f *testing.F) {
	for _, s := range []string{
		"jobs/batch_0123456789abcdef/input.ndjson", "a", "..", "../a", "a/../b", "/a", "a/", "a//b",
		".hidden", "a/b.partial", "a\\b", "a\x00b", "C:/x", "é", strings.Repeat("a/", 300),
	} {
		f.Add(s)
	}
	root := filepath.FromSlash("/srv/objects")
	f.Fuzz(func(t *testing.T, key string) {
		if !validKey(key) {
			return
		}
		if len(key) > maxKeyLen || strings.HasSuffix(key, partialSuffix) {
			t.Fatalf("validKey(%q): over the limit or a partial name", key)
		}
		for _, seg := range strings.Split(key, "/") {
			if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, ".") {
				t.Fatalf("validKey(%q): bad segment %q", key, seg)
			}
			for _, c := range []byte(seg) {
				if !keyByte(c) {
					t.Fatalf("validKey(%q): byte %q", key, c)
				}
			}
		}
		p := filepath.Join(root, filepath.FromSlash(key))
		if rel, err := filepath.Rel(root, p); err != nil || rel != filepath.FromSlash(key) || strings.HasPrefix(rel, "..") {
			t.Fatalf("validKey(%q) leads outside the store: %q", key, p)
		}
		if !validPrefix(key) {
			t.Fatalf("valid key %q is not a valid prefix", key)
		}
	})
}

// FuzzReceiveUpload feeds arbitrary multipart bodies to the upload endpoint's
// parser: it must never panic, and it must accept an upload only when the body
// carries the signed policy and signature it was given (the seed does).
func FuzzReceiveUpload(f *testing.F) {
	l, _ := fuzzLocal(f)
	const key = "jobs/batch_a/input.ndjson"
	_, fields, err := l.PresignUpload(context.Background(), key, 1000, time.Hour)
	if err != nil {
		f.Fatal(err)
	}
	const boundary = "XyZ"
	form := func(parts ...[2]string) string {
		var b strings.Builder
		for _, p := range parts {
			if p[0] == "file" {
				b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.ndjson\"\r\n\r\n" + p[1] + "\r\n")
				continue
			}
			b.WriteString("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + p[0] + "\"\r\n\r\n" + p[1] + "\r\n")
		}
		b.WriteString("--" + boundary + "--\r\n")
		return b.String()
	}
	f.Add(form([2]string{"key", key}, [2]string{"policy", fields["policy"]}, [2]string{"x-amz-signature", fields["x-amz-signature"]}, [2]string{"file", `{"text":"hi"}`}))
	f.Add(form([2]string{"key", key}, [2]string{"file", `{"text":"hi"}`}))
	f.Add(form([2]string{"file", "x"}, [2]string{"key", key}))
	f.Add("--" + boundary + "\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\n")
	f.Fuzz(func(t *testing.T, body string) {
		// No URL signature: only the policy path can admit an upload.
		req, _ := http.NewRequest("POST", "http://127.0.0.1:8080/_blob/upload", strings.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
		_, _, err := l.ReceiveUpload(context.Background(), req, func(context.Context, string, string) (io.Writer, error) { return nil, nil })
		if err == nil && (!strings.Contains(body, fields["x-amz-signature"]) || !strings.Contains(body, fields["policy"])) {
			t.Fatalf("accepted an upload without the signed policy:\n%q", body)
		}
	})
}
