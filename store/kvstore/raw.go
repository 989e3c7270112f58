package kvstore

import (
	"context"
	"fmt"
)

// The Raw methods give other cluster state than the store's (cluster/shards keeps its
// shard records in a bucket of its own, opened with Open and Config.Bucket) the same
// bounded, retried compare-and-swap access the store uses. Keys are KV keys as they are.

// RawGet reads key from the stream's leader: its value and revision. A missing key
// answers an error for which Missing is true.
func (s *Store) RawGet(ctx context.Context, key string) ([]byte, uint64, error) {
	e, err := s.kv.Get(ctx, key)
	if err != nil {
		return nil, 0, err
	}
	return e.Value(), e.Revision(), nil
}

// RawCreate writes key only if it holds nothing (jetstream.ErrKeyExists otherwise).
func (s *Store) RawCreate(ctx context.Context, key string, v []byte) (uint64, error) {
	return s.kv.Create(ctx, key, v)
}

// RawUpdate writes key only if it is still at rev (jetstream.ErrKeyRevisionMismatch
// otherwise).
func (s *Store) RawUpdate(ctx context.Context, key string, v []byte, rev uint64) (uint64, error) {
	return s.kv.Update(ctx, key, v, rev)
}

// RawPut writes key whatever it holds.
func (s *Store) RawPut(ctx context.Context, key string, v []byte) (uint64, error) {
	return s.kv.Put(ctx, key, v)
}

// RawDelete removes key and its history; with rev > 0 only if it is still at rev.
func (s *Store) RawDelete(ctx context.Context, key string, rev uint64) error {
	return s.kv.Delete(ctx, key, rev, true)
}

// RawKeys lists the keys under prefix that hold a value, in no particular order.
func (s *Store) RawKeys(ctx context.Context, prefix string) ([]string, error) {
	keys, err := s.keysUnder(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := keys[:0]
	for _, k := range keys {
		if _, err := s.kv.Get(ctx, k); err == nil {
			out = append(out, k)
		} else if !missing(err) {
			return nil, fmt.Errorf("kvstore: read %s: %w", k, err)
		}
	}
	return out, nil
}

// RawCount counts the keys under prefix that were ever written and not purged, in one
// request to the stream's leader, without reading them: for keys that are only
// created, never deleted, it is how many exist.
func (s *Store) RawCount(ctx context.Context, prefix string) (int, error) {
	keys, err := s.keysUnder(ctx, prefix)
	return len(keys), err
}

// Missing reports whether err says a key holds no value.
func Missing(err error) bool { return missing(err) }

// Retry runs op in bounded attempts until it answers something other than "the cluster
// did not answer" (no leader yet, no responders), or ctx is done.
func Retry[T any](ctx context.Context, op func(context.Context) (T, error)) (T, error) {
	return retry(ctx, op)
}

// Settling reports whether creating a stream failed only because the cluster is still
// settling ("no suitable peers" until the meta leader knows enough peers, no leader).
func Settling(err error) bool { return retryableCreate(err) }
