package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
)

const (
	defaultPageSize = 20
	// maxPageSize bounds one read; the API pages at most 100 and asks for one
	// more to learn whether another page exists.
	maxPageSize = 101
)

// accountPrefix is the account_jobs key prefix of account. The NUL separator keeps
// account "a" from matching the jobs of account "ab"; accounts never contain NUL.
func accountPrefix(account string) []byte {
	p := make([]byte, 0, len(account)+1)
	p = append(p, account...)
	return append(p, 0)
}

// indexKey is the account_jobs key of a job: account, NUL, CreatedAt as big-endian
// unix nanoseconds, id. Bytewise order is then (account, CreatedAt, id), so a reverse
// cursor walk pages an account's jobs newest first without decoding anything else.
func indexKey(account string, created time.Time, id string) []byte {
	k := accountPrefix(account)
	// Flipping the sign bit makes the two's-complement nanoseconds sort bytewise, so
	// even a pre-1970 clock cannot scramble the order.
	k = binary.BigEndian.AppendUint64(k, uint64(created.UnixNano())^(1<<63))
	return append(k, id...)
}

// CreateJob stores a new job and indexes it under its account. If j.CreatedAt is zero
// it is set to the store's clock; if j.Status is empty it is set to pending (both on j
// itself). A job with the same id already stored wraps batch.ErrConflict; a job with
// an empty id or an invalid account is refused.
func (db *DB) CreateJob(ctx context.Context, j *batch.Job) error {
	if j.ID == "" {
		return errors.New("store: job without an id")
	}
	if err := validAccount(j.Account); err != nil {
		return err
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = db.now().UTC()
	}
	if j.Status == "" {
		j.Status = batch.StatusPending
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		jobs := tx.Bucket([]byte(bucketJobs))
		if jobs.Get([]byte(j.ID)) != nil {
			return fmt.Errorf("%w: job %s already exists", batch.ErrConflict, j.ID)
		}
		if err := putJob(jobs, j); err != nil {
			return err
		}
		return putIndex(tx, j)
	})
}

// Job returns the job with id. account "" matches any account (for the pipeline); a
// job of another account is reported exactly like a missing one, wrapping
// batch.ErrNotFound, so a caller cannot probe other accounts' ids.
func (db *DB) Job(ctx context.Context, account, id string) (*batch.Job, error) {
	var out *batch.Job
	err := db.view(ctx, func(tx *bolt.Tx) error {
		j, err := getJob(tx.Bucket([]byte(bucketJobs)), account, id)
		out = j
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Jobs returns up to limit of account's jobs, newest first (by CreatedAt, then id,
// both descending), starting after the job with id after ("" starts at the newest), only
// those whose status is status if it is not "".
// limit <= 0 means 20 and limits above 100 are capped at 100. An empty result means
// there are no more jobs. A cursor that is not one of account's jobs (for example a
// job deleted since) wraps batch.ErrNotFound; an empty account is refused.
func (db *DB) Jobs(ctx context.Context, account, after string, status batch.Status, limit int) ([]*batch.Job, error) {
	if err := validAccount(account); err != nil {
		return nil, err
	}
	switch {
	case limit <= 0:
		limit = defaultPageSize
	case limit > maxPageSize:
		limit = maxPageSize
	}
	out := make([]*batch.Job, 0, limit)
	err := db.view(ctx, func(tx *bolt.Tx) error {
		jobs := tx.Bucket([]byte(bucketJobs))
		prefix := accountPrefix(account)
		// Seek to the first key past where we want to start, then step back: for a
		// cursor that is the cursor's own key; otherwise the first key after this
		// account's range (account followed by 0x01 sorts after every account+0x00 key).
		var target []byte
		if after != "" {
			cur, err := getJob(jobs, account, after)
			if errors.Is(err, batch.ErrNotFound) {
				return fmt.Errorf("%w: cursor job %s", batch.ErrNotFound, after)
			}
			if err != nil {
				return err
			}
			target = indexKey(account, cur.CreatedAt, cur.ID)
		} else {
			target = append([]byte(account), 1)
		}
		c := tx.Bucket([]byte(bucketAccountJobs)).Cursor()
		k, _ := c.Seek(target)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Prev() {
			id := string(k[len(prefix)+8:])
			j, err := getJob(jobs, account, id)
			if err != nil {
				return fmt.Errorf("store: account index points at job %s: %w", id, err)
			}
			if status != "" && j.Status != status {
				continue
			}
			out = append(out, j)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// JobsByStatus returns every job, of any account, whose status is status, oldest first
// (by CreatedAt, then id). The pipeline uses it at start to resume processing jobs.
func (db *DB) JobsByStatus(ctx context.Context, status batch.Status) ([]*batch.Job, error) {
	var out []*batch.Job
	err := db.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketJobs)).ForEach(func(k, v []byte) error {
			var j batch.Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("store: decode job %s: %w", k, err)
			}
			if j.Status == status {
				out = append(out, &j)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	// Job ids are random, so bucket order is meaningless; resume in creation order.
	slices.SortFunc(out, func(a, b *batch.Job) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// UpdateJob loads job id (of any account), lets fn change it and saves it, all in one
// transaction, and returns the saved job. An unknown id wraps batch.ErrNotFound. If fn
// returns an error, nothing is written and that error is returned unchanged. fn must
// not change ID, Account or CreatedAt (they key the job and its index): doing so is an
// error and nothing is written. fn runs inside a write transaction, so it must be quick
// and must not call back into the store.
//
// The same transaction books the update's counters (usage.go, accountJobUpdate): progress
// of the checkpoint goes to the appliance-wide batch totals, and the transition to
// completed adds the job's lines and tokens to its account's usage for that day. The
// runner thus charges usage without knowing about it, and a job is charged exactly once
// for each completion.
func (db *DB) UpdateJob(ctx context.Context, id string, fn func(*batch.Job) error) (*batch.Job, error) {
	var out *batch.Job
	err := db.update(ctx, func(tx *bolt.Tx) error {
		jobs := tx.Bucket([]byte(bucketJobs))
		j, err := getJob(jobs, "", id)
		if err != nil {
			return err
		}
		account, created := j.Account, j.CreatedAt
		before, wasCompleted := j.Checkpoint, j.Status == batch.StatusCompleted
		if err := fn(j); err != nil {
			return err
		}
		if j.ID != id || j.Account != account || !j.CreatedAt.Equal(created) {
			// A silent restore would hide the caller's bug; failing leaves the stored
			// job and its index untouched.
			return fmt.Errorf("store: UpdateJob %s: fn changed the job's id, account or created_at", id)
		}
		if err := db.accountJobUpdate(tx, before, wasCompleted, j); err != nil {
			return err
		}
		out = j
		return putJob(jobs, j)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// StartJob moves job id of account ("" = any account) to processing, in one
// transaction, so that racing starts leave exactly one winner:
//   - an unknown job, or one of another account, wraps batch.ErrNotFound;
//   - a job that is not pending or failed is a *batch.StateError (wrapping batch.ErrConflict);
//   - if the job's account already has maxActive processing jobs it is a
//     *batch.ActiveLimitError naming them (wrapping batch.ErrConflict); maxActive < 1 counts as 1.
//
// On success StartedAt is set to now (on every start, a resume included), Error,
// CancelRequested and CompletedAt are cleared; the checkpoint is kept so a failed job
// resumes where it stopped. Checking that an input was uploaded is the caller's job.
func (db *DB) StartJob(ctx context.Context, account, id string, maxActive int, now time.Time) (*batch.Job, error) {
	maxActive = max(maxActive, 1)
	var out *batch.Job
	err := db.update(ctx, func(tx *bolt.Tx) error {
		jobs := tx.Bucket([]byte(bucketJobs))
		j, err := getJob(jobs, account, id)
		if err != nil {
			return err
		}
		if j.Status != batch.StatusPending && j.Status != batch.StatusFailed {
			return batch.NewStateError(j, "start")
		}
		active, err := activeJobs(tx, j.Account)
		if err != nil {
			return err
		}
		if len(active) >= maxActive {
			return &batch.ActiveLimitError{Active: active, Limit: maxActive}
		}
		j.Status = batch.StatusProcessing
		j.StartedAt = now.UTC()
		j.Error = ""
		j.CancelRequested = false
		j.CompletedAt = time.Time{}
		out = j
		return putJob(jobs, j)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// activeJobs lists account's processing jobs. It walks only that account's index
// range and decodes only each job's status.
func activeJobs(tx *bolt.Tx, account string) ([]string, error) {
	jobs := tx.Bucket([]byte(bucketJobs))
	prefix := accountPrefix(account)
	var ids []string
	c := tx.Bucket([]byte(bucketAccountJobs)).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id := k[len(prefix)+8:]
		v := jobs.Get(id)
		if v == nil {
			return nil, fmt.Errorf("store: account index points at missing job %s", id)
		}
		var s struct {
			Status batch.Status `json:"status"`
		}
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("store: decode job %s: %w", id, err)
		}
		if s.Status == batch.StatusProcessing {
			ids = append(ids, string(id))
		}
	}
	return ids, nil
}

// DeleteJob removes job id of account ("" = any account) and its index entry, and
// returns the deleted job so the caller can remove its objects. An unknown job or one
// of another account wraps batch.ErrNotFound; a processing job is kept and the error
// wraps batch.ErrConflict.
func (db *DB) DeleteJob(ctx context.Context, account, id string) (*batch.Job, error) {
	var out *batch.Job
	err := db.update(ctx, func(tx *bolt.Tx) error {
		jobs := tx.Bucket([]byte(bucketJobs))
		j, err := getJob(jobs, account, id)
		if err != nil {
			return err
		}
		if j.Active() {
			return batch.NewStateError(j, "delete")
		}
		if err := deleteJob(tx, j); err != nil {
			return err
		}
		out = j
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// deleteJob removes j, its account index entry and its reviews inside tx.
func deleteJob(tx *bolt.Tx, j *batch.Job) error {
	if err := deleteReviews(tx, j.ID); err != nil {
		return err
	}
	if err := tx.Bucket([]byte(bucketJobs)).Delete([]byte(j.ID)); err != nil {
		return fmt.Errorf("store: delete job %s: %w", j.ID, err)
	}
	if err := tx.Bucket([]byte(bucketAccountJobs)).Delete(indexKey(j.Account, j.CreatedAt, j.ID)); err != nil {
		return fmt.Errorf("store: delete index of job %s: %w", j.ID, err)
	}
	return nil
}

// getJob decodes job id. account "" matches any account; a mismatch is reported as
// not found so that existence never leaks across accounts.
func getJob(jobs *bolt.Bucket, account, id string) (*batch.Job, error) {
	v := jobs.Get([]byte(id))
	if v == nil {
		return nil, fmt.Errorf("%w: job %s", batch.ErrNotFound, id)
	}
	var j batch.Job
	if err := json.Unmarshal(v, &j); err != nil {
		return nil, fmt.Errorf("store: decode job %s: %w", id, err)
	}
	if account != "" && j.Account != account {
		return nil, fmt.Errorf("%w: job %s", batch.ErrNotFound, id)
	}
	return &j, nil
}

func putJob(jobs *bolt.Bucket, j *batch.Job) error {
	v, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("store: encode job %s: %w", j.ID, err)
	}
	if err := jobs.Put([]byte(j.ID), v); err != nil {
		return fmt.Errorf("store: put job %s: %w", j.ID, err)
	}
	return nil
}

func putIndex(tx *bolt.Tx, j *batch.Job) error {
	if err := tx.Bucket([]byte(bucketAccountJobs)).Put(indexKey(j.Account, j.CreatedAt, j.ID), []byte{}); err != nil {
		return fmt.Errorf("store: index job %s: %w", j.ID, err)
	}
	return nil
}
