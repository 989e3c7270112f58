package kvstore

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/store"
)

// Backups of a cluster through the API (GET /v1/admin/backup, issue 25): the bucket's
// records written as a single node's database file (store.BackupWriter), so that
// `classer-batch restore` installs it in a single node and `restore --to-cluster` in a
// cluster. The job objects (inputs, results) stay in S3; shard records, leases and the
// active slots are not records of a single node and are not in it.

// Snapshot writes every record to a database file in the spool directory and returns it,
// read from its start. It is not a point-in-time copy: each record is as it was when
// read, one after the other, while the cluster keeps working (a job running meanwhile is
// in the state of its read). One record is in memory at a time, but for the usage,
// summed by account and day (a single node keeps one value a day).
func (s *Store) Snapshot(ctx context.Context) (*store.Snapshot, error) {
	takenAt := s.now()
	w, err := store.NewBackupWriter(cmp.Or(s.spool, os.TempDir()))
	if err != nil {
		return nil, err
	}
	if err := s.backup(ctx, w.Put); err != nil {
		w.Abort()
		return nil, fmt.Errorf("kvstore: backup: %w", err)
	}
	return w.Finish(takenAt)
}

func (s *Store) backup(ctx context.Context, put func(store.Record) error) error {
	keys, _, err := s.readKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys.Keys {
		if err := put(store.Record{Key: &k.Key, KeyHash: k.Hash}); err != nil {
			return err
		}
	}
	err = s.valuesUnder(ctx, pJob, func(key string, v []byte) error {
		var j batch.Job
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("decode %s: %w", key, err)
		}
		return put(store.Record{Job: &j})
	})
	if err != nil {
		return err
	}
	err = s.valuesUnder(ctx, pClf, func(key string, v []byte) error {
		var c store.Classifier
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("decode %s: %w", key, err)
		}
		return put(store.Record{Classifier: &c})
	})
	if err != nil {
		return err
	}
	err = s.valuesUnder(ctx, pClfSeq, func(key string, v []byte) error {
		// clfseq.<account hex>.<name>
		acct, name, ok := strings.Cut(strings.TrimPrefix(key, pClfSeq), ".")
		account, herr := unseg(acct)
		if !ok || herr != nil || len(v) != 4 {
			return fmt.Errorf("malformed classifier sequence %s", key)
		}
		return put(store.Record{ClassifierSeq: &store.ClassifierSeq{Account: account, Name: name, Last: int(binary.BigEndian.Uint32(v))}})
	})
	if err != nil {
		return err
	}
	if err := s.backupUsage(ctx, put); err != nil {
		return err
	}
	var t store.BatchTotals
	switch _, err := s.getJSON(ctx, kStats, &t); {
	case err == nil:
		if err := put(store.Record{Totals: &t}); err != nil {
			return err
		}
	case !missing(err):
		return fmt.Errorf("read batch totals: %w", err)
	}
	return s.valuesUnder(ctx, pReviews, func(key string, v []byte) error {
		id, err := unseg(strings.TrimPrefix(key, pReviews))
		if err != nil {
			return fmt.Errorf("malformed reviews key %s", key)
		}
		var d reviewsDoc
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("decode %s: %w", key, err)
		}
		if len(d.Reviews) == 0 {
			return nil
		}
		return put(store.Record{Reviews: &store.JobReviews{Job: id, Reviews: d.Reviews}})
	})
}

// backupUsage sums the real-time days (usage.<account>.<day>) and the completed jobs'
// (usagejob.<account>.<day>.<id>) into one value per account and day, as UsageRange does.
func (s *Store) backupUsage(ctx context.Context, put func(store.Record) error) error {
	days := map[[2]string]*store.AccountUsage{}
	for _, prefix := range []string{pUsage, pUsageJob} {
		err := s.valuesUnder(ctx, prefix, func(key string, v []byte) error {
			parts := strings.SplitN(strings.TrimPrefix(key, prefix), ".", 3)
			account, err := unseg(parts[0])
			if len(parts) < 2 || err != nil {
				return fmt.Errorf("malformed usage key %s", key)
			}
			var u store.Usage
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("decode %s: %w", key, err)
			}
			d := days[[2]string{account, parts[1]}]
			if d == nil {
				d = &store.AccountUsage{Account: account, UsageDay: store.UsageDay{Date: parts[1]}}
				days[[2]string{account, parts[1]}] = d
			}
			addUsage(&d.Usage, u)
			return nil
		})
		if err != nil {
			return err
		}
	}
	for _, d := range days {
		if err := put(store.Record{Usage: d}); err != nil {
			return err
		}
	}
	return nil
}
