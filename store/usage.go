package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
)

// DateLayout is the form of a usage day: a UTC calendar date.
const DateLayout = "2006-01-02"

// Usage is what an account used on one UTC day. Real-time calls count Requests and
// RealtimeTokens; a batch job counts once, on the day it completes: Jobs += 1,
// BatchLines = its completed + failed lines, BatchTokens = its actual tokens.
type Usage struct {
	Requests       int64 `json:"requests"`
	RealtimeTokens int64 `json:"realtime_tokens"`
	BatchLines     int64 `json:"batch_lines"`
	BatchTokens    int64 `json:"batch_tokens"`
	Jobs           int64 `json:"jobs"`
}

// Tokens is every token the day's usage counts, real-time and batch.
func (u Usage) Tokens() int64 { return u.RealtimeTokens + u.BatchTokens }

func (u *Usage) add(d Usage) {
	u.Requests += d.Requests
	u.RealtimeTokens += d.RealtimeTokens
	u.BatchLines += d.BatchLines
	u.BatchTokens += d.BatchTokens
	u.Jobs += d.Jobs
}

// UsageDay is one stored day of an account's usage.
type UsageDay struct {
	Date string // YYYY-MM-DD (UTC)
	Usage
}

func usageKey(account string, day time.Time) []byte {
	return append(accountPrefix(account), day.UTC().Format(DateLayout)...)
}

// addUsage adds delta to account's usage on day's UTC date inside tx.
func addUsage(tx *bolt.Tx, account string, day time.Time, delta Usage) error {
	b := tx.Bucket([]byte(bucketUsage))
	k := usageKey(account, day)
	var u Usage
	if v := b.Get(k); v != nil {
		if err := json.Unmarshal(v, &u); err != nil {
			return fmt.Errorf("store: decode usage %q: %w", k, err)
		}
	}
	u.add(delta)
	v, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("store: encode usage: %w", err)
	}
	if err := b.Put(k, v); err != nil {
		return fmt.Errorf("store: put usage: %w", err)
	}
	return nil
}

// UsageRange returns account's usage for each UTC date from from to to (both
// inclusive) that has any, oldest first. Days without usage are left out.
func (db *DB) UsageRange(ctx context.Context, account string, from, to time.Time) ([]UsageDay, error) {
	if err := validAccount(account); err != nil {
		return nil, err
	}
	var out []UsageDay
	err := db.view(ctx, func(tx *bolt.Tx) error {
		prefix := accountPrefix(account)
		end := usageKey(account, to)
		c := tx.Bucket([]byte(bucketUsage)).Cursor()
		for k, v := c.Seek(usageKey(account, from)); k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, end) <= 0; k, v = c.Next() {
			d := UsageDay{Date: string(k[len(prefix):])}
			if err := json.Unmarshal(v, &d.Usage); err != nil {
				return fmt.Errorf("store: decode usage %q: %w", k, err)
			}
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BatchTotals are appliance-wide batch counters since the database was created. They
// only grow (deleted jobs keep their contribution), so they are exported as Prometheus
// counters.
type BatchTotals struct {
	LinesCompleted int64 `json:"lines_completed"`
	LinesFailed    int64 `json:"lines_failed"`
	Tokens         int64 `json:"tokens"`
}

// JobStats is a snapshot for metrics: the number of stored jobs by status, and the
// appliance-wide batch totals.
type JobStats struct {
	ByStatus map[batch.Status]int
	Totals   BatchTotals
}

const statsBatchKey = "batch"

// JobStats counts stored jobs by status and reads the batch totals, in one read
// transaction. It decodes only each job's status.
func (db *DB) JobStats(ctx context.Context) (JobStats, error) {
	out := JobStats{ByStatus: map[batch.Status]int{}}
	err := db.view(ctx, func(tx *bolt.Tx) error {
		err := tx.Bucket([]byte(bucketJobs)).ForEach(func(k, v []byte) error {
			var s struct {
				Status batch.Status `json:"status"`
			}
			if err := json.Unmarshal(v, &s); err != nil {
				return fmt.Errorf("store: decode job %s: %w", k, err)
			}
			out.ByStatus[s.Status]++
			return nil
		})
		if err != nil {
			return err
		}
		t, err := getTotals(tx)
		out.Totals = t
		return err
	})
	return out, err
}

func getTotals(tx *bolt.Tx) (BatchTotals, error) {
	var t BatchTotals
	if v := tx.Bucket([]byte(bucketStats)).Get([]byte(statsBatchKey)); v != nil {
		if err := json.Unmarshal(v, &t); err != nil {
			return t, fmt.Errorf("store: decode batch totals: %w", err)
		}
	}
	return t, nil
}

// accountJobUpdate runs inside UpdateJob's transaction and books what a job update
// means for the counters, so that they can never disagree with the job itself:
//   - progress: positive changes of the checkpoint's completed, failed and tokens go to
//     the appliance-wide BatchTotals (a checkpoint never moves back in practice; if it
//     did, nothing is subtracted and the re-done lines count again);
//   - the transition to completed books the job's usage on the day of CompletedAt.
//     Completion is the only moment a job is charged: a failed job is charged when it
//     is resumed and completes, and then for all its lines.
func (db *DB) accountJobUpdate(tx *bolt.Tx, before batch.Checkpoint, wasCompleted bool, j *batch.Job) error {
	d := BatchTotals{
		LinesCompleted: max(j.Checkpoint.Completed-before.Completed, 0),
		LinesFailed:    max(j.Checkpoint.Failed-before.Failed, 0),
		Tokens:         max(j.Checkpoint.Tokens-before.Tokens, 0),
	}
	if d != (BatchTotals{}) {
		t, err := getTotals(tx)
		if err != nil {
			return err
		}
		t.LinesCompleted += d.LinesCompleted
		t.LinesFailed += d.LinesFailed
		t.Tokens += d.Tokens
		v, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("store: encode batch totals: %w", err)
		}
		if err := tx.Bucket([]byte(bucketStats)).Put([]byte(statsBatchKey), v); err != nil {
			return fmt.Errorf("store: put batch totals: %w", err)
		}
	}
	if !wasCompleted && j.Status == batch.StatusCompleted {
		day := j.CompletedAt
		if day.IsZero() {
			day = db.now()
		}
		return addUsage(tx, j.Account, day, Usage{
			Jobs:        1,
			BatchLines:  j.Checkpoint.Completed + j.Checkpoint.Failed,
			BatchTokens: j.Checkpoint.Tokens,
		})
	}
	return nil
}

// UsageDelta is usage to add to one account on one UTC day.
type UsageDelta struct {
	Account string
	Day     time.Time
	Usage   Usage
}

// RecordUsages adds every delta in one transaction: the API gathers real-time
// usage in memory and writes it in batches, so a request never waits for a disk
// sync. Errors: an invalid account (nothing is written), a done ctx, a database failure.
func (db *DB) RecordUsages(ctx context.Context, deltas []UsageDelta) error {
	for _, d := range deltas {
		if err := validAccount(d.Account); err != nil {
			return err
		}
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		for _, d := range deltas {
			if err := addUsage(tx, d.Account, d.Day, d.Usage); err != nil {
				return err
			}
		}
		return nil
	})
}
