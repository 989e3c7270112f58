package kvstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/store"
)

// pReviews keys one document per job holding all its reviews: reviews.<id> -> reviewsDoc.
// One document makes each review change a single compare-and-swap, and deleting a job's
// reviews a single purge. Reviews are made by hand (hundreds, a few thousand a job), well
// inside a KV value's limit.
const pReviews = "reviews."

type reviewsDoc struct {
	Reviews []store.Review `json:"reviews"` // by index
}

func reviewsKey(id string) string { return pReviews + seg(id) }

// PutReview is store.DB.PutReview. The job is checked first, then the document is
// written by revision; a job deleted between the two leaves a document that deleteJob's
// purge (which follows the job's deletion) or the re-check below removes.
func (s *Store) PutReview(ctx context.Context, account, id string, r store.Review) error {
	return s.changeReviews(ctx, account, id, true, func(d *reviewsDoc) error {
		i, found := slices.BinarySearchFunc(d.Reviews, r.Index, func(e store.Review, idx int64) int { return cmpInt(e.Index, idx) })
		if found {
			d.Reviews[i] = r
		} else {
			d.Reviews = slices.Insert(d.Reviews, i, r)
		}
		return nil
	})
}

// DeleteReview is store.DB.DeleteReview.
func (s *Store) DeleteReview(ctx context.Context, account, id string, index int64) error {
	return s.changeReviews(ctx, account, id, false, func(d *reviewsDoc) error {
		i, found := slices.BinarySearchFunc(d.Reviews, index, func(e store.Review, idx int64) int { return cmpInt(e.Index, idx) })
		if !found {
			return fmt.Errorf("%w: no review of line %d of job %s", batch.ErrNotFound, index, id)
		}
		d.Reviews = slices.Delete(d.Reviews, i, i+1)
		return nil
	})
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// changeReviews applies fn to job id's reviews document and writes it by revision,
// reading again when another writer got there first.
func (s *Store) changeReviews(ctx context.Context, account, id string, needCompleted bool, fn func(*reviewsDoc) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		j, _, err := s.job(ctx, account, id)
		if err != nil {
			return err
		}
		if needCompleted && j.Status != batch.StatusCompleted {
			return batch.NewStateError(j, "review")
		}
		var d reviewsDoc
		rev, err := s.getJSON(ctx, reviewsKey(id), &d)
		if err != nil && !missing(err) {
			return fmt.Errorf("kvstore: read reviews of job %s: %w", id, err)
		}
		if err := fn(&d); err != nil {
			return err
		}
		v, err := json.Marshal(&d)
		if err != nil {
			return fmt.Errorf("kvstore: encode reviews: %w", err)
		}
		if rev == 0 {
			_, err = s.kv.Create(ctx, reviewsKey(id), v)
		} else {
			_, err = s.kv.Update(ctx, reviewsKey(id), v, rev)
		}
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return fmt.Errorf("kvstore: write reviews of job %s: %w", id, err)
		}
		// The job may have been deleted, its reviews purged, between the check above and
		// this write: then the document just written belongs to no job and goes too.
		if _, _, err := s.job(ctx, "", id); errors.Is(err, batch.ErrNotFound) {
			if err := s.kv.Delete(ctx, reviewsKey(id), 0, true); err != nil && !missing(err) {
				return fmt.Errorf("kvstore: remove reviews of deleted job %s: %w", id, err)
			}
			return fmt.Errorf("%w: job %s", batch.ErrNotFound, id)
		}
		return nil
	}
}

// Reviews is store.DB.Reviews.
func (s *Store) Reviews(ctx context.Context, account, id string) ([]store.Review, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, _, err := s.job(ctx, account, id); err != nil {
		return nil, err
	}
	var d reviewsDoc
	if _, err := s.getJSON(ctx, reviewsKey(id), &d); err != nil && !missing(err) {
		return nil, fmt.Errorf("kvstore: read reviews of job %s: %w", id, err)
	}
	return d.Reviews, nil
}
