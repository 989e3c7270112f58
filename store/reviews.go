package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
)

// Review is a person's verdict on one line of a completed job (issue 26): the true
// label(s) and, fixed when it was given, what the job answered for the line. A completed
// job never changes its answers, so the comparison kept here stays true.
type Review struct {
	Index int64 `json:"index"`
	// Label (single mode) or Labels (multi mode) is the true answer; an ok review carries
	// the job's answer.
	Label  string   `json:"label"`
	Labels []string `json:"labels"`
	OK     bool     `json:"ok"`
	// Answer, AnswerLabels and Confidence are the job's answer for the line.
	Answer       string   `json:"answer"`
	AnswerLabels []string `json:"answer_labels"`
	Confidence   float64  `json:"confidence"`
	// Audit says the line is in the job's seeded random audit sample.
	Audit      bool      `json:"audit"`
	Correct    bool      `json:"correct"`
	ReviewedAt time.Time `json:"reviewed_at"`
}

// reviewKey orders a job's reviews by line index.
func reviewKey(index int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(index)) }

// completedJob loads account's job id for a review: unknown and foreign jobs wrap
// batch.ErrNotFound, a job that is not completed is a *batch.StateError (reviews judge
// answers, which only a completed job has).
func completedJob(tx *bolt.Tx, account, id string) (*batch.Job, error) {
	j, err := getJob(tx.Bucket([]byte(bucketJobs)), account, id)
	if err != nil {
		return nil, err
	}
	if j.Status != batch.StatusCompleted {
		return nil, batch.NewStateError(j, "review")
	}
	return j, nil
}

// PutReview stores r for line r.Index of account's completed job id, replacing the line's
// earlier review. The job check and the write are one transaction, so a review can never
// outlive a job deleted at the same moment.
func (db *DB) PutReview(ctx context.Context, account, id string, r Review) error {
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: encode review: %w", err)
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		if _, err := completedJob(tx, account, id); err != nil {
			return err
		}
		b, err := tx.Bucket([]byte(bucketReviews)).CreateBucketIfNotExists([]byte(id))
		if err != nil {
			return fmt.Errorf("store: reviews of job %s: %w", id, err)
		}
		if err := b.Put(reviewKey(r.Index), v); err != nil {
			return fmt.Errorf("store: put review %s/%d: %w", id, r.Index, err)
		}
		return nil
	})
}

// DeleteReview removes the review of line index of account's job id; a line without one
// wraps batch.ErrNotFound, as does an unknown or foreign job.
func (db *DB) DeleteReview(ctx context.Context, account, id string, index int64) error {
	return db.update(ctx, func(tx *bolt.Tx) error {
		if _, err := getJob(tx.Bucket([]byte(bucketJobs)), account, id); err != nil {
			return err
		}
		b := tx.Bucket([]byte(bucketReviews)).Bucket([]byte(id))
		if b == nil || b.Get(reviewKey(index)) == nil {
			return fmt.Errorf("%w: no review of line %d of job %s", batch.ErrNotFound, index, id)
		}
		return b.Delete(reviewKey(index))
	})
}

// Reviews returns every review of account's job id, by line index. Reviews are made by
// hand, a few hundred or thousand a job, so one slice is small.
func (db *DB) Reviews(ctx context.Context, account, id string) ([]Review, error) {
	var out []Review
	err := db.view(ctx, func(tx *bolt.Tx) error {
		if _, err := getJob(tx.Bucket([]byte(bucketJobs)), account, id); err != nil {
			return err
		}
		b := tx.Bucket([]byte(bucketReviews)).Bucket([]byte(id))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var r Review
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("store: decode review %s/%x: %w", id, k, err)
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// deleteReviews removes job id's reviews inside the transaction that deletes the job.
func deleteReviews(tx *bolt.Tx, id string) error {
	b := tx.Bucket([]byte(bucketReviews))
	if b.Bucket([]byte(id)) == nil {
		return nil
	}
	if err := b.DeleteBucket([]byte(id)); err != nil {
		return fmt.Errorf("store: delete reviews of job %s: %w", id, err)
	}
	return nil
}
