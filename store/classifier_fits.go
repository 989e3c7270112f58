package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/classer-ai/classer-batch/batch"
)

// A saved classifier keeps the corpus fit of the last batch job run with it (issue 24), so
// that real-time calls naming it answer as that job did: the fit's state in the
// classifier_fits bucket under the version's key, and what it is in the version's record
// (Classifier.Fit).

// ClassifierFit says which job's fit a classifier version keeps, and for which spec.
type ClassifierFit struct {
	Job string `json:"job"`
	// For is batch.FitHash of the job's spec: a real-time call uses the fit only for the
	// same labels, texts, mode and model (its threshold and text_type may differ).
	For string    `json:"for"`
	At  time.Time `json:"at"`
	// Bytes is the state's size, for display.
	Bytes int `json:"bytes"`
	// Threshold is the job's multi-label threshold: a real-time call that sets none answers
	// with it, as the job did.
	Threshold *float64 `json:"threshold,omitempty"`
}

// ClassifierRef is the display form of one version: "tickets@v2".
func ClassifierRef(name string, version int) string {
	return name + "@v" + strconv.Itoa(version)
}

// ParseClassifierRef splits "name" (version 0 = latest) or "name@vN" (N >= 1).
func ParseClassifierRef(ref string) (name string, version int, ok bool) {
	name, v, hasVersion := strings.Cut(ref, "@")
	if !ValidClassifierName(name) {
		return "", 0, false
	}
	if !hasVersion {
		return name, 0, true
	}
	digits, ok := strings.CutPrefix(v, "v")
	if !ok || digits == "" || digits[0] == '0' || len(digits) > 10 {
		return "", 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil || n > math.MaxUint32 {
		return "", 0, false
	}
	return name, int(n), true
}

// KeepClassifierFit stores state, the fit of job (completed), with the saved classifier
// version the job was created from (job.Classifier, "name@vN"), replacing the fit of any
// earlier job. A job from inline labels has nothing to keep it with, and a version deleted
// since keeps nothing: both are no-ops.
func (db *DB) KeepClassifierFit(ctx context.Context, job *batch.Job, state []byte) error {
	name, version, ok := ParseClassifierRef(job.Classifier)
	if job.Classifier == "" || !ok || version == 0 || validAccount(job.Account) != nil {
		return nil
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		k := classifierKey(job.Account, name, version)
		b := tx.Bucket([]byte(bucketClassifiers))
		v := b.Get(k)
		if v == nil {
			return nil
		}
		c, err := decodeClassifier(k, v)
		if err != nil {
			return err
		}
		c.Fit = &ClassifierFit{Job: job.ID, For: batch.FitHash(job.Spec), At: db.now().UTC(), Bytes: len(state),
			Threshold: job.Spec.Threshold}
		if v, err = json.Marshal(c); err != nil {
			return fmt.Errorf("store: encode classifier %s: %w", name, err)
		}
		if err := tx.Bucket([]byte(bucketClassifierFits)).Put(k, state); err != nil {
			return fmt.Errorf("store: put classifier fit %s: %w", name, err)
		}
		if err := b.Put(k, v); err != nil {
			return fmt.Errorf("store: put classifier %s: %w", name, err)
		}
		return nil
	})
}

// ClassifierFitState returns the fit state version (>= 1) of account's classifier name
// keeps, or nil when it keeps none.
func (db *DB) ClassifierFitState(ctx context.Context, account, name string, version int) ([]byte, error) {
	if checkClassifierArgs(account, name) != nil || version < 1 || version > math.MaxUint32 {
		return nil, fmt.Errorf("%w: classifier %s", batch.ErrNotFound, name)
	}
	var out []byte
	err := db.view(ctx, func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(bucketClassifierFits)); b != nil { // (nil: a database opened read-only from before fits)
			// The value lives in the memory map only while the transaction is open.
			out = bytes.Clone(b.Get(classifierKey(account, name, version)))
		}
		return nil
	})
	return out, err
}
