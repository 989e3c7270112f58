package blob

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"strings"
	"testing"
	"testing/iotest"
)

// describeParts reads every part as ReceiveUpload would (name, then all of the body) from
// next, which wraps either parser, and describes what it got: the same description means
// the same behaviour.
func describeParts(next func() (name string, body io.Reader, err error)) string {
	var b strings.Builder
	for i := 0; i < 50; i++ {
		name, body, err := next()
		if errors.Is(err, io.EOF) {
			return b.String() + "EOF"
		}
		if err != nil {
			return b.String() + "error"
		}
		data, err := io.ReadAll(body)
		fmt.Fprintf(&b, "[%q %q]", name, data)
		if err != nil {
			return b.String() + "error"
		}
	}
	return b.String()
}

func formPartsStd(body, boundary string, src func(string) io.Reader) string {
	mr := multipart.NewReader(src(body), boundary)
	return describeParts(func() (string, io.Reader, error) {
		p, err := mr.NextPart()
		if err != nil {
			return "", nil, err
		}
		return p.FormName(), p, nil
	})
}

func formPartsFast(body, boundary string, src func(string) io.Reader, bufSize int) string {
	fr := newFormReader(src(body), boundary, bufSize)
	return describeParts(func() (string, io.Reader, error) {
		p, err := fr.next()
		if err != nil {
			return "", nil, err
		}
		return p.name, p.r, nil
	})
}

var formSeeds = []string{
	"--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\njobs/a\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n{\"text\":\"hi\"}\n\r\n--XyZ--\r\n",
	"--XyZ\nContent-Disposition: form-data; name=\"key\"\n\nv\n--XyZ\nContent-Disposition: form-data; name=\"file\"\n\nbody\n--XyZ--\n",
	"preamble\r\n--XyZ  \r\nContent-Disposition: form-data; name=a\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\nx\r\n--XyZx\r\n--XyZ--",
	"--XyZ\r\nContent-Disposition: form-data; name=\"q\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db=\r\nc\r\n--XyZ--\r\n",
	"--XyZ\r\nContent-Disposition: attachment; name=\"f\"\r\n\r\n\r\n--XyZ-\r\n--XyZ",
	"--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nbroken off",
	"--XyZ\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\ndata\r\n--XyZ\r\n\r\n--XyZ--\r\nafter",
	"--XyZ\r\n X: y\r\n\r\n\r\n--XyZ--\r\n",
}

// FuzzFormReader: formReader (ReceiveUpload's parser) reads every body exactly as
// mime/multipart does: the same parts, names and bytes, and an error where it errs, with
// the body arriving whole or a byte at a time.
func FuzzFormReader(f *testing.F) {
	for _, s := range formSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		whole := func(s string) io.Reader { return strings.NewReader(s) }
		bytewise := func(s string) io.Reader { return iotest.OneByteReader(strings.NewReader(s)) }
		want := formPartsStd(body, "XyZ", whole)
		for _, got := range []string{
			formPartsFast(body, "XyZ", whole, uploadBufSize),
			formPartsFast(body, "XyZ", bytewise, uploadBufSize),
			formPartsFast(body, "XyZ", whole, 4096),
		} {
			if got != want {
				t.Fatalf("body %q\nformReader:     %s\nmime/multipart: %s", body, got, want)
			}
		}
	})
}

// TestFormReaderLargePart: a file part far larger than the buffer, with boundary-like
// bytes near the buffer edges, comes out whole, as mime/multipart reads it.
func TestFormReaderLargePart(t *testing.T) {
	var file strings.Builder
	for file.Len() < 3*uploadBufSize {
		file.WriteString("{\"text\":\"line\"}\r\n--XyZx \r\n\r\n--Xy")
	}
	body := "--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n" + file.String() + "\r\n--XyZ--\r\n"
	whole := func(s string) io.Reader { return strings.NewReader(s) }
	if got, want := formPartsFast(body, "XyZ", whole, uploadBufSize), formPartsStd(body, "XyZ", whole); got != want {
		t.Fatalf("formReader and mime/multipart differ on a %d-byte part", file.Len())
	}
}
