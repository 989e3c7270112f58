package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
)

// ErrInvalidKey is returned by Authenticate for an unknown, malformed or revoked key.
// It deliberately does not say which, so a caller learns nothing about other keys.
var ErrInvalidKey = errors.New("invalid api key")

const (
	secretPrefix   = "sk-"
	secretRandLen  = 32
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	keyIDPrefix    = "key_"
	keyIDRandLen   = 12
	keyIDAlphabet  = "abcdefghijklmnopqrstuvwxyz0123456789"
	// displayPrefixLen is how much of a secret is kept for display, so a user can tell
	// keys apart without the store holding anything that authenticates.
	displayPrefixLen = 8
	// minImportedSecretLen only catches accidents (an empty or truncated value); how
	// strong a configured key is remains the operator's choice.
	minImportedSecretLen = 8
)

// displayPrefix is the part of secret kept for display: the first 8 characters, but
// never more than a third of the secret, so that a short configured key (for example
// "sk-acme-1") is not mostly given away by its prefix.
func displayPrefix(secret string) string {
	return secret[:min(displayPrefixLen, len(secret)/3)]
}

// Key is an API key as stored, without its secret. Prefix is the start of the secret,
// for display only: 8 characters for generated keys, at most a third of a configured one.
type Key struct {
	ID        string    `json:"id"`
	Account   string    `json:"account"`
	Prefix    string    `json:"prefix"`
	Admin     bool      `json:"admin"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Revoked reports whether the key has been revoked.
func (k *Key) Revoked() bool { return !k.RevokedAt.IsZero() }

// keyRecord is a Key plus the hex SHA-256 of its secret. The secret is high-entropy
// (or a configured value the operator already holds), so a fast hash is enough: there
// is nothing for a slow KDF to protect against that 190 bits of randomness don't.
type keyRecord struct {
	Key
	Hash string `json:"hash"`
}

func hashSecret(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

// validAccount reports whether account can be stored: non-empty, and free of NUL,
// which separates the account from the rest of an account_jobs index key.
func validAccount(account string) error {
	if account == "" {
		return errors.New("store: empty account")
	}
	if strings.IndexByte(account, 0) >= 0 {
		return errors.New("store: account contains a NUL byte")
	}
	return nil
}

// CreateKey creates a key for account and returns its secret, which is shown to the
// user once and never stored: only its SHA-256 is kept. The secret is "sk-" followed by
// 32 random base62 characters. It fails only on an invalid (empty) account, a done
// ctx, or a database error.
func (db *DB) CreateKey(ctx context.Context, account string, admin bool) (string, *Key, error) {
	if err := validAccount(account); err != nil {
		return "", nil, err
	}
	secret := NewSecret()
	sum := hashSecret(secret)
	var out *Key
	err := db.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket([]byte(bucketKeyHashes)).Get(sum[:]) != nil {
			// Only reachable on a 190-bit collision; refuse rather than alias two keys.
			return errors.New("store: key secret collides with an existing key")
		}
		rec, err := db.addKey(tx, account, secret, sum, admin)
		if err != nil {
			return err
		}
		out = &rec.Key
		return nil
	})
	db.auth.invalidate()
	if err != nil {
		return "", nil, err
	}
	return secret, out, nil
}

// addKey stores a new key record for secret (whose hash is sum) and its hash index entry.
func (db *DB) addKey(tx *bolt.Tx, account, secret string, sum [sha256.Size]byte, admin bool) (*keyRecord, error) {
	keys := tx.Bucket([]byte(bucketKeys))
	rec := &keyRecord{
		Key: Key{
			ID:        newKeyID(keys),
			Account:   account,
			Prefix:    displayPrefix(secret),
			Admin:     admin,
			CreatedAt: db.now().UTC(),
		},
		Hash: hex.EncodeToString(sum[:]),
	}
	if err := putKey(keys, rec); err != nil {
		return nil, err
	}
	if err := tx.Bucket([]byte(bucketKeyHashes)).Put(sum[:], []byte(rec.ID)); err != nil {
		return nil, fmt.Errorf("store: index key %s: %w", rec.ID, err)
	}
	return rec, nil
}

// The helpers below let another implementation of the store (kvstore, for cluster mode)
// make keys and check input exactly as this one does.

// NewSecret returns a fresh API key secret: "sk-" and 32 random base62 characters.
func NewSecret() string { return secretPrefix + randomString(secretRandLen, secretAlphabet) }

// NewKeyID returns a random key id; the caller makes sure it is not in use yet.
func NewKeyID() string { return keyIDPrefix + randomString(keyIDRandLen, keyIDAlphabet) }

// DisplayPrefix is the part of secret a Key keeps for display.
func DisplayPrefix(secret string) string { return displayPrefix(secret) }

// ValidAccount is nil if account can be stored.
func ValidAccount(account string) error { return validAccount(account) }

// ValidImportedSecret is nil if secret may be imported by ImportKey.
func ValidImportedSecret(secret string) error { return validImportedSecret(secret) }

// newKeyID picks an id not yet used in keys.
func newKeyID(keys *bolt.Bucket) string {
	for {
		id := NewKeyID()
		if keys.Get([]byte(id)) == nil {
			return id
		}
	}
}

// ImportKey makes sure a key with the given secret exists, for keys seeded from the
// configuration at every start. Importing a secret that is already stored is a no-op
// that returns the existing key, except that its account and admin flag are updated to
// the given ones if they differ. A revoked key stays revoked: revocation is an explicit
// act that a restart must not undo (the returned key has RevokedAt set, so the caller
// can warn).
//
// The secret must be at least 8 printable ASCII characters without spaces (anything
// else is a configuration accident or could not be sent in a Bearer header).
func (db *DB) ImportKey(ctx context.Context, account, secret string, admin bool) (*Key, error) {
	if err := validAccount(account); err != nil {
		return nil, err
	}
	if err := validImportedSecret(secret); err != nil {
		return nil, err
	}
	sum := hashSecret(secret)
	var out *Key
	err := db.update(ctx, func(tx *bolt.Tx) error {
		keys := tx.Bucket([]byte(bucketKeys))
		if id := tx.Bucket([]byte(bucketKeyHashes)).Get(sum[:]); id != nil {
			rec, err := getKey(keys, string(id))
			if err != nil {
				return err
			}
			if rec.Account != account || rec.Admin != admin {
				rec.Account, rec.Admin = account, admin
				if err := putKey(keys, rec); err != nil {
					return err
				}
			}
			out = &rec.Key
			return nil
		}
		rec, err := db.addKey(tx, account, secret, sum, admin)
		if err != nil {
			return err
		}
		out = &rec.Key
		return nil
	})
	db.auth.invalidate()
	if err != nil {
		return nil, err
	}
	return out, nil
}

// validImportedSecret never echoes the secret: errors end up in logs.
func validImportedSecret(secret string) error {
	if len(secret) < minImportedSecretLen {
		return fmt.Errorf("store: imported api key is too short (%d characters, need at least %d)", len(secret), minImportedSecretLen)
	}
	for _, r := range secret {
		if r > unicode.MaxASCII || !unicode.IsGraphic(r) || unicode.IsSpace(r) {
			return errors.New("store: imported api key must be printable ASCII without spaces")
		}
	}
	return nil
}

// Authenticate returns the key whose secret is secret. An empty, unknown or revoked
// secret yields ErrInvalidKey; other errors are database failures or a done ctx.
func (db *DB) Authenticate(ctx context.Context, secret string) (*Key, error) {
	if secret == "" {
		return nil, ErrInvalidKey
	}
	sum := hashSecret(secret)
	if k, ok := db.auth.get(sum); ok {
		return k, nil
	}
	gen := db.auth.generation()
	var out *Key
	err := db.view(ctx, func(tx *bolt.Tx) error {
		id := tx.Bucket([]byte(bucketKeyHashes)).Get(sum[:])
		if id == nil {
			return ErrInvalidKey
		}
		rec, err := getKey(tx.Bucket([]byte(bucketKeys)), string(id))
		if errors.Is(err, batch.ErrNotFound) {
			// A dangling index entry must not authenticate anyone.
			return ErrInvalidKey
		}
		if err != nil {
			return err
		}
		// The index lookup already matched, but comparing the stored hash itself, in
		// constant time, means a corrupted or hand-edited index cannot map one secret
		// onto another key.
		stored, err := hex.DecodeString(rec.Hash)
		if err != nil || subtle.ConstantTimeCompare(stored, sum[:]) != 1 {
			return ErrInvalidKey
		}
		if rec.Revoked() {
			return ErrInvalidKey
		}
		out = &rec.Key
		return nil
	})
	if err != nil {
		return nil, err
	}
	db.auth.put(gen, sum, out)
	return out, nil
}

// authCache maps the SHA-256 of a secret to the key it authenticated, so a real-time
// request costs a map lookup instead of a read transaction and a JSON decode (about a
// tenth of the server's CPU under bench/load.sh). It holds only keys that authenticated, so
// at most one entry per live key. Every method that writes keys calls invalidate after its
// transaction commits, and an entry read from a transaction that began before an invalidate
// is not stored (the generation check), so a revoked or changed key is never served from
// the cache once Revoke or ImportKey has returned. Only this process writes the database
// (bbolt's file lock), so nothing else can change a key behind the cache's back.
type authCache struct {
	mu   sync.RWMutex
	gen  uint64
	keys map[[sha256.Size]byte]Key
}

func (c *authCache) get(sum [sha256.Size]byte) (*Key, bool) {
	c.mu.RLock()
	k, ok := c.keys[sum]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return &k, true // a copy: callers may not change the cache
}

func (c *authCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *authCache) put(gen uint64, sum [sha256.Size]byte, k *Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // keys changed while k was being read
	}
	if c.keys == nil {
		c.keys = make(map[[sha256.Size]byte]Key)
	}
	c.keys[sum] = *k
}

func (c *authCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	clear(c.keys)
}

// Keys returns every key, revoked ones included, oldest first (then by id).
func (db *DB) Keys(ctx context.Context) ([]*Key, error) {
	var out []*Key
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketKeys)).ForEach(func(k, v []byte) error {
			var rec keyRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("store: decode key %s: %w", k, err)
			}
			out = append(out, &rec.Key)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	// Key ids are random, so bucket order is meaningless; the key count is small
	// enough that sorting beats maintaining a time index.
	slices.SortFunc(out, func(a, b *Key) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// RevokeKey revokes the key with id; it can no longer authenticate. Revoking an
// already revoked key is a no-op that keeps the original revocation time. An unknown
// id wraps batch.ErrNotFound.
//
// The hash index entry is kept so that ImportKey recognises the secret and does not
// resurrect it as a new key.
func (db *DB) RevokeKey(ctx context.Context, id string) error {
	_, err := db.Revoke(ctx, id)
	return err
}

// Revoke is RevokeKey returning the key as revoked (with its RevokedAt). Revoking the
// last admin key that is not revoked wraps batch.ErrConflict: nobody could manage keys
// through the API any more (the check and the revoke are one transaction, so two
// admins revoking each other at once cannot both succeed).
func (db *DB) Revoke(ctx context.Context, id string) (*Key, error) {
	var out *Key
	err := db.update(ctx, func(tx *bolt.Tx) error {
		keys := tx.Bucket([]byte(bucketKeys))
		rec, err := getKey(keys, id)
		if err != nil {
			return err
		}
		out = &rec.Key
		if rec.Revoked() {
			return nil
		}
		if rec.Admin {
			others := 0
			err := keys.ForEach(func(k, v []byte) error {
				var o keyRecord
				if err := json.Unmarshal(v, &o); err != nil {
					return fmt.Errorf("store: decode key %s: %w", k, err)
				}
				if o.Admin && !o.Revoked() && o.ID != rec.ID {
					others++
				}
				return nil
			})
			if err != nil {
				return err
			}
			if others == 0 {
				return fmt.Errorf("%w: %s is the last admin key; create another admin key first", batch.ErrConflict, rec.ID)
			}
		}
		rec.RevokedAt = db.now().UTC()
		return putKey(keys, rec)
	})
	db.auth.invalidate()
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CountKeys returns the number of keys that are not revoked.
func (db *DB) CountKeys(ctx context.Context) (int, error) {
	n := 0
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketKeys)).ForEach(func(k, v []byte) error {
			var rec keyRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("store: decode key %s: %w", k, err)
			}
			if !rec.Revoked() {
				n++
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// getKey decodes the key with id; unknown wraps batch.ErrNotFound.
func getKey(keys *bolt.Bucket, id string) (*keyRecord, error) {
	v := keys.Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("%w: key %s", batch.ErrNotFound, id)
	}
	var rec keyRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("store: decode key %s: %w", id, err)
	}
	return &rec, nil
}

func putKey(keys *bolt.Bucket, rec *keyRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("store: encode key %s: %w", rec.ID, err)
	}
	if err := keys.Put([]byte(rec.ID), v); err != nil {
		return fmt.Errorf("store: put key %s: %w", rec.ID, err)
	}
	return nil
}
