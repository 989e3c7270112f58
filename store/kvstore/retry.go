package kvstore

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// attemptTimeout bounds one request. While a stream elects a new leader (a node was
// lost) a request reaches no leader and gets no answer: without a bound it would wait
// for all of the caller's context. Elections take a few seconds.
const attemptTimeout = 5 * time.Second

// retryPause is the wait between attempts.
const retryPause = 100 * time.Millisecond

// transient reports whether err means the cluster did not answer this attempt (no
// leader yet, nobody listening), so the request may be tried again. A done ctx is final.
func transient(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, jetstream.ErrNoStreamResponse) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.Code == 503
}

// retry runs op in attempts of attemptTimeout until it returns a result that is not
// transient, or ctx is done.
func retry[T any](ctx context.Context, op func(context.Context) (T, error)) (T, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		v, err := op(actx)
		cancel()
		if !transient(ctx, err) {
			return v, err
		}
		select {
		case <-ctx.Done():
			var zero T
			return zero, errors.Join(err, ctx.Err())
		case <-time.After(retryPause):
		}
	}
}

// bucket is the key-value bucket with every request retried through a leader election.
// A write whose answer was lost may have been applied: before it is tried again the key
// is read, and a key that already holds the value written counts as this write's. So
// that this cannot mistake another writer's value for its own, values that two writers
// could both create (the active slots) carry a random token.
type bucket struct{ kv jetstream.KeyValue }

func (b bucket) Status(ctx context.Context) (jetstream.KeyValueStatus, error) {
	return retry(ctx, func(ctx context.Context) (jetstream.KeyValueStatus, error) { return b.kv.Status(ctx) })
}

func (b bucket) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	return retry(ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) { return b.kv.Get(ctx, key) })
}

// Put writes the same value again on a retry, which changes nothing.
func (b bucket) Put(ctx context.Context, key string, v []byte) (uint64, error) {
	return retry(ctx, func(ctx context.Context) (uint64, error) { return b.kv.Put(ctx, key, v) })
}

// Create is jetstream's: ErrKeyExists when the key holds a value that is not v.
func (b bucket) Create(ctx context.Context, key string, v []byte) (uint64, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		rev, err := b.kv.Create(actx, key, v)
		cancel()
		if !transient(ctx, err) {
			return rev, err
		}
		e, gerr := b.Get(ctx, key)
		switch {
		case missing(gerr):
			continue // not applied: try again
		case gerr != nil:
			return 0, gerr
		case bytes.Equal(e.Value(), v):
			return e.Revision(), nil // applied; the answer was lost
		default:
			return 0, jetstream.ErrKeyExists
		}
	}
}

// Update is jetstream's: ErrKeyRevisionMismatch when the key is no longer at rev and
// does not hold v.
func (b bucket) Update(ctx context.Context, key string, v []byte, rev uint64) (uint64, error) {
	for {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		got, err := b.kv.Update(actx, key, v, rev)
		cancel()
		if !transient(ctx, err) {
			return got, err
		}
		e, gerr := b.Get(ctx, key)
		switch {
		case missing(gerr):
			return 0, jetstream.ErrKeyRevisionMismatch
		case gerr != nil:
			return 0, gerr
		case e.Revision() == rev:
			continue // not applied: try again
		case bytes.Equal(e.Value(), v):
			return e.Revision(), nil
		default:
			return 0, jetstream.ErrKeyRevisionMismatch
		}
	}
}

// Delete places a delete marker; with rev > 0 only if the key is still at rev
// (ErrKeyRevisionMismatch otherwise). With purge, earlier revisions go too.
func (b bucket) Delete(ctx context.Context, key string, rev uint64, purge bool) error {
	var opts []jetstream.KVDeleteOpt
	if rev > 0 {
		opts = append(opts, jetstream.LastRevision(rev))
	}
	for {
		actx, cancel := context.WithTimeout(ctx, attemptTimeout)
		var err error
		if purge {
			err = b.kv.Purge(actx, key, opts...)
		} else {
			err = b.kv.Delete(actx, key, opts...)
		}
		cancel()
		if !transient(ctx, err) {
			return err
		}
		e, gerr := b.Get(ctx, key)
		switch {
		case missing(gerr):
			return nil // gone: this delete's, or one that had the same effect
		case gerr != nil:
			return gerr
		case rev == 0 || e.Revision() == rev:
			continue
		default:
			return jetstream.ErrKeyRevisionMismatch
		}
	}
}
