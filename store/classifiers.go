package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
)

// MaxClassifierName is the longest saved-classifier name.
const MaxClassifierName = 64

// Classifier is one immutable version of an account's saved classifier.
type Classifier struct {
	Account   string        `json:"account"`
	Name      string        `json:"name"`
	Version   int           `json:"version"` // 1, 2, …
	Spec      classify.Spec `json:"spec"`
	CreatedAt time.Time     `json:"created_at"`
	// Fit is the corpus fit this version keeps (KeepClassifierFit), nil until a batch job
	// created from it completes.
	Fit *ClassifierFit `json:"fit,omitempty"`
}

// ClassifierSummary is the latest version of a saved classifier and how many versions
// it has.
type ClassifierSummary struct {
	Latest   *Classifier
	Versions int
}

// ValidClassifierName reports whether name is 1..64 lowercase ASCII letters, digits,
// '-' or '_'. The rule also keeps NUL out of the bucket keys.
func ValidClassifierName(name string) bool {
	if name == "" || len(name) > MaxClassifierName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// classifierPrefix is account 0x00 name 0x00: every version of one classifier. The
// name's trailing NUL keeps "tickets" from matching "tickets-2".
func classifierPrefix(account, name string) []byte {
	k := accountPrefix(account)
	k = append(k, name...)
	return append(k, 0)
}

func classifierKey(account, name string, version int) []byte {
	return binary.BigEndian.AppendUint32(classifierPrefix(account, name), uint32(version))
}

func seqKey(account, name string) []byte {
	return append(accountPrefix(account), name...)
}

func checkClassifierArgs(account, name string) error {
	if err := validAccount(account); err != nil {
		return err
	}
	if !ValidClassifierName(name) {
		return fmt.Errorf("store: invalid classifier name %q", name)
	}
	return nil
}

// SaveClassifier stores spec as the next version of account's classifier name and
// returns it. Versions are numbered from 1 and never reused, even after
// DeleteClassifier, so "name@vN" always meant one spec. The spec is stored as given:
// validating it is the caller's job. Errors: an invalid account or name, a done ctx, a
// database failure.
func (db *DB) SaveClassifier(ctx context.Context, account, name string, spec classify.Spec) (*Classifier, error) {
	if err := checkClassifierArgs(account, name); err != nil {
		return nil, err
	}
	var out *Classifier
	err := db.update(ctx, func(tx *bolt.Tx) error {
		seq := tx.Bucket([]byte(bucketClassifierSeq))
		last := uint32(0)
		if v := seq.Get(seqKey(account, name)); len(v) == 4 {
			last = binary.BigEndian.Uint32(v)
		}
		if last == math.MaxUint32 {
			return fmt.Errorf("store: classifier %s has run out of versions", name)
		}
		c := &Classifier{Account: account, Name: name, Version: int(last + 1), Spec: spec, CreatedAt: db.now().UTC()}
		v, err := json.Marshal(c)
		if err != nil {
			return fmt.Errorf("store: encode classifier %s: %w", name, err)
		}
		if err := tx.Bucket([]byte(bucketClassifiers)).Put(classifierKey(account, name, c.Version), v); err != nil {
			return fmt.Errorf("store: put classifier %s: %w", name, err)
		}
		if err := seq.Put(seqKey(account, name), binary.BigEndian.AppendUint32(nil, last+1)); err != nil {
			return fmt.Errorf("store: put classifier sequence %s: %w", name, err)
		}
		out = c
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Classifier returns version of account's classifier name; version 0 means the latest.
// An unknown name or version, or one of another account, wraps batch.ErrNotFound (an
// invalid name is simply not found).
func (db *DB) Classifier(ctx context.Context, account, name string, version int) (*Classifier, error) {
	if checkClassifierArgs(account, name) != nil || version < 0 || version > math.MaxUint32 {
		return nil, fmt.Errorf("%w: classifier %s", batch.ErrNotFound, name)
	}
	var out *Classifier
	err := db.view(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketClassifiers))
		var k, v []byte
		if version > 0 {
			k = classifierKey(account, name, version)
			v = b.Get(k)
		} else {
			k, v = lastWithPrefix(b.Cursor(), classifierPrefix(account, name))
		}
		if v == nil {
			return fmt.Errorf("%w: classifier %s", batch.ErrNotFound, name)
		}
		c, err := decodeClassifier(k, v)
		out = c
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// lastWithPrefix returns the last key/value under prefix, or nils.
func lastWithPrefix(c *bolt.Cursor, prefix []byte) ([]byte, []byte) {
	// Every key under prefix is prefix + 4 bytes, so prefix + 0xff×5 sorts after all of them.
	end := append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff)
	k, v := c.Seek(end)
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil, nil
	}
	return k, v
}

// Classifiers returns the latest version of each of account's classifiers, by name.
func (db *DB) Classifiers(ctx context.Context, account string) ([]ClassifierSummary, error) {
	if err := validAccount(account); err != nil {
		return nil, err
	}
	var out []ClassifierSummary
	err := db.view(ctx, func(tx *bolt.Tx) error {
		prefix := accountPrefix(account)
		c := tx.Bucket([]byte(bucketClassifiers)).Cursor()
		// Keys sort by (name, version), so the last key of each name run is its latest version.
		var cur *ClassifierSummary
		var curName []byte
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if len(k) < len(prefix)+5 {
				return fmt.Errorf("store: malformed classifier key %q", k)
			}
			name := k[len(prefix) : len(k)-5]
			if cur == nil || !bytes.Equal(name, curName) {
				out = append(out, ClassifierSummary{})
				cur = &out[len(out)-1]
				curName = name
			}
			cl, err := decodeClassifier(k, v)
			if err != nil {
				return err
			}
			cur.Latest = cl
			cur.Versions++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteClassifier removes every version of account's classifier name and returns how
// many there were. Nothing to delete wraps batch.ErrNotFound. Jobs created from it keep
// their resolved spec; its version numbers are not reused.
func (db *DB) DeleteClassifier(ctx context.Context, account, name string) (int, error) {
	if checkClassifierArgs(account, name) != nil {
		return 0, fmt.Errorf("%w: classifier %s", batch.ErrNotFound, name)
	}
	n := 0
	err := db.update(ctx, func(tx *bolt.Tx) error {
		prefix := classifierPrefix(account, name)
		c := tx.Bucket([]byte(bucketClassifiers)).Cursor()
		// Deleting at the cursor moves it to the next key, so Seek again each time
		// rather than relying on Next after Delete.
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Seek(prefix) {
			if err := c.Delete(); err != nil {
				return fmt.Errorf("store: delete classifier %s: %w", name, err)
			}
			n++
		}
		fits := tx.Bucket([]byte(bucketClassifierFits)).Cursor()
		for k, _ := fits.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = fits.Seek(prefix) {
			if err := fits.Delete(); err != nil {
				return fmt.Errorf("store: delete classifier fit %s: %w", name, err)
			}
		}
		if n == 0 {
			return fmt.Errorf("%w: classifier %s", batch.ErrNotFound, name)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func decodeClassifier(k, v []byte) (*Classifier, error) {
	var c Classifier
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("store: decode classifier %q: %w", k, err)
	}
	if c.Name == "" {
		return nil, errors.New("store: classifier record without a name")
	}
	return &c, nil
}
