package blob

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// SecretLen is the size in bytes of the URL-signing key.
const SecretLen = 32

// LoadOrCreateSecret returns the URL-signing key stored at path, creating it
// with SecretLen random bytes and mode 0600 if the file does not exist. The
// create uses O_EXCL, so two processes starting at once cannot each write a
// different key; the loser reads the winner's. A file of any other length is
// refused (a truncated or foreign file would silently weaken or change every
// signature).
func LoadOrCreateSecret(path string) ([]byte, error) {
	secret := make([]byte, SecretLen)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("generate signing secret: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		if _, err := f.Write(secret); err != nil {
			f.Close()
			os.Remove(path)
			return nil, fmt.Errorf("write signing secret %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			os.Remove(path)
			return nil, fmt.Errorf("sync signing secret %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			os.Remove(path)
			return nil, fmt.Errorf("close signing secret %s: %w", path, err)
		}
		return secret, nil
	case !errors.Is(err, fs.ErrExist):
		return nil, fmt.Errorf("create signing secret: %w", err)
	}
	return readSecret(path)
}

func readSecret(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read signing secret: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read signing secret: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("signing secret %s is not a regular file", path)
	}
	// One byte more than expected, so a longer file is detected without
	// trusting its size.
	buf, err := io.ReadAll(io.LimitReader(f, SecretLen+1))
	if err != nil {
		return nil, fmt.Errorf("read signing secret %s: %w", path, err)
	}
	if len(buf) != SecretLen {
		return nil, fmt.Errorf("signing secret %s has %s bytes, want exactly %d (an interrupted first start, or not a secret file; remove it to create a new one, which invalidates outstanding signed URLs)",
			path, sizeText(len(buf)), SecretLen)
	}
	return buf, nil
}

func sizeText(n int) string {
	if n > SecretLen {
		return fmt.Sprintf("more than %d", SecretLen)
	}
	return fmt.Sprint(n)
}
