package store

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
)

// TestSecretsNotInFile: only a key's hash is stored; the secret appears nowhere in the
// database file. (Creating and authenticating keys is in the shared suite, TestSuite.)
func TestSecretsNotInFile(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	secret, _, err := db.CreateKey(ctx, "acme", true)
	if err != nil {
		t.Fatal(err)
	}
	imported := "sk-configured-secret-0001"
	if _, err := db.ImportKey(ctx, "acme", imported, false); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{secret, secret[3:], imported} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the database file contains a secret")
		}
	}
}

func TestAuthenticateRejects(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	secret, _, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	revoked, rk, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RevokeKey(ctx, rk.ID); err != nil {
		t.Fatal(err)
	}
	flipped := []byte(secret)
	flipped[len(flipped)-1] ^= 1

	// A hand-edited (or corrupted) index that maps another secret's hash onto this key:
	// the key's own stored hash is compared too, so that secret is still refused.
	mapped := "sk-" + randomString(32, secretAlphabet)
	sk, err := db.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.update(ctx, func(tx *bolt.Tx) error {
		sum := hashSecret(mapped)
		return tx.Bucket([]byte(bucketKeyHashes)).Put(sum[:], []byte(sk.ID))
	}); err != nil {
		t.Fatal(err)
	}

	for name, s := range map[string]string{
		"index maps it onto another key": mapped,
		"empty":                          "",
		"unknown":                        "sk-" + randomString(32, secretAlphabet),
		"one char off":                   string(flipped),
		"prefix only":                    secret[:8],
		"with space":                     secret + " ",
		"revoked":                        revoked,
		"key id":                         rk.ID,
	} {
		t.Run(name, func(t *testing.T) {
			k, err := db.Authenticate(ctx, s)
			if !errors.Is(err, ErrInvalidKey) || k != nil {
				t.Errorf("Authenticate = %v, %v; want ErrInvalidKey", k, err)
			}
		})
	}
}

func TestRevokeKey(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	secret, k, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.CreateKey(ctx, "other", false); err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountKeys(ctx); err != nil || n != 2 {
		t.Fatalf("CountKeys = %d, %v; want 2", n, err)
	}

	if err := db.RevokeKey(ctx, "key_doesnotexist"); !errors.Is(err, batch.ErrNotFound) {
		t.Errorf("RevokeKey(unknown) = %v, want ErrNotFound", err)
	}
	if err := db.RevokeKey(ctx, k.ID); err != nil {
		t.Fatalf("RevokeKey: %v", err)
	}
	db = reopen(t, db, path)
	if _, err := db.Authenticate(ctx, secret); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Authenticate(revoked) = %v, want ErrInvalidKey", err)
	}
	if n, err := db.CountKeys(ctx); err != nil || n != 1 {
		t.Errorf("CountKeys = %d, %v; want 1", n, err)
	}
	first := revokedAt(t, db, k.ID)
	if first.IsZero() {
		t.Fatal("RevokedAt not set")
	}
	// Revoking again is a no-op that keeps the first revocation time.
	if err := db.RevokeKey(ctx, k.ID); err != nil {
		t.Fatalf("second RevokeKey: %v", err)
	}
	if again := revokedAt(t, db, k.ID); !again.Equal(first) {
		t.Errorf("RevokedAt changed from %v to %v", first, again)
	}
}

func revokedAt(t *testing.T, db *DB, id string) time.Time {
	t.Helper()
	keys, err := db.Keys(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.ID == id {
			return k.RevokedAt
		}
	}
	t.Fatalf("key %s not listed", id)
	return time.Time{}
}

// FuzzAuthenticate: no presented string other than the real secret authenticates.
func FuzzAuthenticate(f *testing.F) {
	db, err := Open(f.TempDir() + "/classer.db")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = db.Close() })
	ctx := context.Background()
	secret, k, err := db.CreateKey(ctx, "acme", false)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", secret[:len(secret)-1], secret + "x", k.ID, k.Prefix, "sk-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := db.Authenticate(ctx, s)
		if s == secret {
			if err != nil || got.ID != k.ID {
				t.Fatalf("real secret: %v, %v", got, err)
			}
			return
		}
		if !errors.Is(err, ErrInvalidKey) || got != nil {
			t.Fatalf("Authenticate(%q) = %v, %v; want ErrInvalidKey", s, got, err)
		}
	})
}

// TestAuthenticateCacheFollowsWrites: Authenticate answers repeat secrets from memory, but a
// revoke or a re-import with another account takes effect for the very next call, without a
// reopen.
func TestAuthenticateCacheFollowsWrites(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	const secret = "sk-configured-secret-0002"
	k, err := db.ImportKey(ctx, "acme", secret, false)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the second call is served from the cache
		if got, err := db.Authenticate(ctx, secret); err != nil || got.Account != "acme" {
			t.Fatalf("Authenticate = %+v, %v; want account acme", got, err)
		}
	}
	got, _ := db.Authenticate(ctx, secret)
	got.Account = "mallory" // callers get a copy, not the cached key
	if again, _ := db.Authenticate(ctx, secret); again.Account != "acme" {
		t.Fatalf("changing a returned key changed the cache: %+v", again)
	}
	if _, err := db.ImportKey(ctx, "globex", secret, true); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Authenticate(ctx, secret); err != nil || got.Account != "globex" || !got.Admin {
		t.Errorf("Authenticate after re-import = %+v, %v; want the new account", got, err)
	}
	if _, _, err := db.CreateKey(ctx, "ops", true); err != nil { // the last admin key cannot be revoked
		t.Fatal(err)
	}
	// CreateKey cleared the cache too: authenticate again so the revoke below, and only
	// the revoke, has a cached entry to invalidate.
	for range 2 {
		if got, err := db.Authenticate(ctx, secret); err != nil || got.Account != "globex" {
			t.Fatalf("Authenticate = %+v, %v; want account globex", got, err)
		}
	}
	if err := db.RevokeKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Authenticate(ctx, secret); !errors.Is(err, ErrInvalidKey) {
		t.Errorf("Authenticate after revoke = %v; want ErrInvalidKey at once", err)
	}
}
