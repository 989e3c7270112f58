package kvstore

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/store"
)

// Moving a single node into a cluster (issue 25, `classer-batch restore --to-cluster`):
// a bbolt backup's records (store.Export) written in this store's layout.

// Holding is what a cluster's state holds that a restore would write over.
type Holding struct {
	Jobs, Classifiers, UsageDays, Reviewed int
}

// Empty reports whether nothing is held.
func (h Holding) Empty() bool { return h == Holding{} }

func (h Holding) String() string {
	return fmt.Sprintf("%d jobs, %d classifier versions, %d account-days of usage, %d reviewed jobs",
		h.Jobs, h.Classifiers, h.UsageDays, h.Reviewed)
}

// Holding counts the jobs, classifier versions, usage and reviews in the bucket. The keys
// are not counted: every node imports its configured keys at start, so a cluster that
// has never been used already holds some.
func (s *Store) Holding(ctx context.Context) (Holding, error) {
	var h Holding
	for _, c := range []struct {
		prefix string
		n      *int
	}{{pJob, &h.Jobs}, {pClf, &h.Classifiers}, {pUsage, &h.UsageDays}, {pUsageJob, &h.UsageDays}, {pReviews, &h.Reviewed}} {
		keys, err := s.RawKeys(ctx, c.prefix)
		if err != nil {
			return h, err
		}
		*c.n += len(keys)
	}
	return h, nil
}

// Import writes one record of a single node's database. Without overwrite a record that
// is already here (a job, a classifier version, an account's day of usage, a job's
// reviews) is refused with batch.ErrConflict; with it the record here is replaced. A key
// replaces the one with the same secret (the cluster's nodes imported the configured
// keys at start: the single node's record keeps its id, dates and revocation). The batch
// totals are added to this store's. A job that was processing is refused: its run
// belongs to the single node that was running it. A classifier's fit is not carried over
// (this store keeps no fit states), so it answers real-time calls with its spec alone.
func (s *Store) Import(ctx context.Context, rec store.Record, overwrite bool) error {
	switch {
	case rec.Key != nil:
		return s.importKey(ctx, *rec.Key, rec.KeyHash)
	case rec.Job != nil:
		return s.importJob(ctx, rec.Job, overwrite)
	case rec.Classifier != nil:
		c := *rec.Classifier
		if err := checkClassifierArgs(c.Account, c.Name); err != nil {
			return err
		}
		c.Fit = nil
		return s.importJSON(ctx, clfPrefix(c.Account, c.Name)+fmt.Sprintf("%010d", c.Version), c, overwrite,
			fmt.Sprintf("classifier %s@v%d of account %s", c.Name, c.Version, c.Account))
	case rec.ClassifierSeq != nil:
		return s.importSeq(ctx, *rec.ClassifierSeq)
	case rec.Usage != nil:
		u := rec.Usage
		if err := store.ValidAccount(u.Account); err != nil {
			return err
		}
		return s.importJSON(ctx, pUsage+seg(u.Account)+"."+u.Date, u.Usage, overwrite,
			fmt.Sprintf("usage of account %s on %s", u.Account, u.Date))
	case rec.Totals != nil:
		t := *rec.Totals
		return s.casJSON(ctx, kStats, func(have *store.BatchTotals) {
			have.LinesCompleted += t.LinesCompleted
			have.LinesFailed += t.LinesFailed
			have.Tokens += t.Tokens
		})
	case rec.Reviews != nil:
		return s.importJSON(ctx, reviewsKey(rec.Reviews.Job), reviewsDoc{Reviews: rec.Reviews.Reviews}, overwrite,
			"the reviews of job "+rec.Reviews.Job)
	}
	return errors.New("kvstore: import: empty record")
}

func (s *Store) importKey(ctx context.Context, k store.Key, hash string) error {
	sum, err := hex.DecodeString(hash)
	if err != nil || len(sum) != 32 {
		return fmt.Errorf("kvstore: import key %s: its hash %q is not a hex SHA-256", k.ID, hash)
	}
	if err := store.ValidAccount(k.Account); err != nil {
		return err
	}
	return s.changeKeys(ctx, func(d *keysDoc) error {
		rec := keyRecord{Key: k, Hash: hash}
		if have := d.byHash([32]byte(sum)); have != nil {
			*have = rec
			return nil
		}
		if d.byID(k.ID) != nil {
			return fmt.Errorf("%w: another key with id %s is already in the cluster", batch.ErrConflict, k.ID)
		}
		d.Keys = append(d.Keys, rec)
		return nil
	})
}

func (s *Store) importJob(ctx context.Context, j *batch.Job, overwrite bool) error {
	if j.Status == batch.StatusProcessing {
		return fmt.Errorf("%w: job %s was processing when the backup was taken", batch.ErrConflict, j.ID)
	}
	if j.ID == "" {
		return errors.New("kvstore: import: a job without an id")
	}
	if err := store.ValidAccount(j.Account); err != nil {
		return err
	}
	if overwrite {
		// The listing index is keyed by the creation time too: the replaced job's entry
		// would list the job twice.
		var old batch.Job
		if _, err := s.getJSON(ctx, jobKey(j.ID), &old); err == nil && acctJobKey(&old) != acctJobKey(j) {
			if err := s.kv.Delete(ctx, acctJobKey(&old), 0, true); err != nil && !missing(err) {
				return fmt.Errorf("kvstore: import job %s: %w", j.ID, err)
			}
		} else if err != nil && !missing(err) {
			return fmt.Errorf("kvstore: import job %s: %w", j.ID, err)
		}
	}
	if err := s.importJSON(ctx, jobKey(j.ID), j, overwrite, "job "+j.ID); err != nil {
		return err
	}
	if _, err := s.kv.Put(ctx, acctJobKey(j), nil); err != nil {
		return fmt.Errorf("kvstore: index job %s: %w", j.ID, err)
	}
	return nil
}

// importSeq keeps the greater of the two sequences, so that no version number is given
// twice whichever side used it.
func (s *Store) importSeq(ctx context.Context, q store.ClassifierSeq) error {
	if err := checkClassifierArgs(q.Account, q.Name); err != nil {
		return err
	}
	key := pClfSeq + seg(q.Account) + "." + q.Name
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		v := binary.BigEndian.AppendUint32(nil, uint32(q.Last))
		e, err := s.kv.Get(ctx, key)
		switch {
		case missing(err):
			_, err = s.kv.Create(ctx, key, v)
		case err != nil:
		case len(e.Value()) == 4 && int(binary.BigEndian.Uint32(e.Value())) >= q.Last:
			return nil
		default:
			_, err = s.kv.Update(ctx, key, v, e.Revision())
		}
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return fmt.Errorf("kvstore: import classifier sequence %s: %w", q.Name, err)
		}
		return nil
	}
}

// importJSON writes v at key: created, or with overwrite put whatever is there.
func (s *Store) importJSON(ctx context.Context, key string, v any, overwrite bool, what string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("kvstore: encode %s: %w", what, err)
	}
	if overwrite {
		_, err = s.kv.Put(ctx, key, b)
	} else {
		_, err = s.kv.Create(ctx, key, b)
	}
	if errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("%w: %s is already in the cluster", batch.ErrConflict, what)
	}
	if err != nil {
		return fmt.Errorf("kvstore: import %s: %w", what, err)
	}
	return nil
}
