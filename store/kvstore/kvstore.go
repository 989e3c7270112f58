// Package kvstore keeps the appliance's state in a replicated NATS JetStream key-value
// bucket, for cluster mode (issue 25). It offers the same methods, with the same
// behaviour, as the bbolt store.DB; store/storetest runs one suite against both.
//
// There are no multi-key transactions here. Every decision that two nodes could race on
// is one compare-and-swap write: a create-if-absent (Create) or an update of the revision
// that was read (Update, Delete with LastRevision). A conflicting write makes the loser
// read again and retry, or give up with batch.ErrConflict. Writes that follow a decided
// one (an index entry, a usage booking) are idempotent, so a retry cannot count twice.
// Reads may come from a follower and be a little stale (nats-server #6557); nothing is
// decided from a read alone.
package kvstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/store"
)

// DefaultBucket is the name of the key-value bucket that holds everything.
const DefaultBucket = "classer"

// Key layout. User-supplied segments (accounts, job ids) are hex-encoded: a KV key
// allows only [-/_=.A-Za-z0-9], and hex keeps their bytewise order.
const (
	pJob      = "job."      // job.<id> -> batch.Job JSON
	pAcctJob  = "acctjob."  // acctjob.<account>.<created 16 hex>.<id> -> empty (listing index)
	pActive   = "active."   // active.<account>.<n> -> id of the job holding the slot, "\n", a random token
	pKeys     = "keys"      // every API key, one document (keysDoc)
	pClf      = "clf."      // clf.<account>.<name>.<version 10 digits> -> store.Classifier JSON
	pClfSeq   = "clfseq."   // clfseq.<account>.<name> -> last version, kept after delete
	pUsage    = "usage."    // usage.<account>.<day> -> store.Usage JSON (real-time calls)
	pUsageJob = "usagejob." // usagejob.<account>.<day>.<id> -> store.Usage JSON (one completed job)
	kStats    = "stats.batch"
)

// slotGrace is how long a slot whose job is not (yet) processing still counts as taken:
// a starter creates the slot first and marks the job processing just after, so a young
// slot is a start in flight, an old one was left by a node that died between the two.
const slotGrace = 30 * time.Second

// Store is the JetStream KV implementation of the store. It is safe for concurrent use,
// from any number of processes.
type Store struct {
	node   string // stamped on the jobs this store starts (batch.Job.Node)
	kv     bucket
	stream jetstream.Stream // the bucket's stream, for listing keys (keysUnder)
	bucket string
	now    func() time.Time
	spool  string // Config.SpoolDir
}

// Config configures Open.
type Config struct {
	// Bucket is the key-value bucket's name; "" means DefaultBucket.
	Bucket string
	// Replicas of the bucket: 1 on a single node, 3 in a cluster (cluster.replicas).
	Replicas int
	// Now stamps CreatedAt and RevokedAt; nil means time.Now.
	Now func() time.Time
	// Node names this node (cluster.node_name): StartJob records it on the job, whose
	// runner this node's then is.
	Node string
	// SpoolDir is where Snapshot writes its backup file before it is read (backup.go);
	// "" means the system's temp directory.
	SpoolDir string
}

// Open creates the bucket if it does not exist yet and returns a store using it. A fresh
// cluster may answer "no suitable peers" until its meta leader is elected; Open retries
// that until ctx is done.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	kvCfg := jetstream.KeyValueConfig{
		Bucket:   cmp.Or(cfg.Bucket, DefaultBucket),
		History:  1,
		Replicas: max(cfg.Replicas, 1),
		Storage:  jetstream.FileStorage,
	}
	for {
		// Bounded per attempt: a request that no meta leader answers would otherwise
		// wait for all of ctx.
		attempt, cancel := context.WithTimeout(ctx, 5*time.Second)
		kv, stream, err := openBucket(attempt, js, kvCfg)
		cancel()
		if err == nil {
			return &Store{node: cfg.Node, kv: bucket{kv}, stream: stream, bucket: kvCfg.Bucket, now: now, spool: cfg.SpoolDir}, nil
		}
		if !retryableCreate(err) {
			return nil, fmt.Errorf("kvstore: open bucket %s: %w", kvCfg.Bucket, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("kvstore: open bucket %s: %w (last error: %w)", kvCfg.Bucket, ctx.Err(), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// openBucket binds to the bucket, creating it if it does not exist, with direct gets
// turned off: a direct get may be answered by a follower that has not applied the latest
// write yet, and a node must read its own writes (the create-then-list of a job, the
// slot it just took). Reads then go to the stream's leader.
func openBucket(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, jetstream.Stream, error) {
	_, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		_, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			err = nil // another node created it meanwhile
		}
	}
	if err != nil {
		return nil, nil, err
	}
	stream, err := js.Stream(ctx, "KV_"+cfg.Bucket)
	if err != nil {
		return nil, nil, err
	}
	if sc := stream.CachedInfo().Config; sc.AllowDirect {
		sc.AllowDirect = false
		if stream, err = js.UpdateStream(ctx, sc); err != nil {
			return nil, nil, err
		}
	}
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	return kv, stream, err
}

// retryableCreate reports whether a bucket creation failed only because the cluster is
// still settling: no meta leader yet, or not enough peers known to place the replicas.
func retryableCreate(err error) bool {
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		// nats-server's codes: 10005 no suitable peers for placement, 10008 JetStream
		// system temporarily unavailable, 10023 insufficient resources, 10059 stream not
		// found (a stream that was just created or found, asked again before its group
		// has formed: seen when three nodes of a fresh cluster start at once under load).
		switch apiErr.ErrorCode {
		case 10005, 10008, 10023, 10059:
			return true
		}
		return apiErr.Code == 503
	}
	msg := err.Error()
	return strings.Contains(msg, "no suitable peers") || strings.Contains(msg, "no responders") || strings.Contains(msg, "timeout")
}

// Close does nothing: the connection belongs to the caller.
func (s *Store) Close() error { return nil }

// Ping reads the bucket's status, for readiness checks.
func (s *Store) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if _, err := s.kv.Status(ctx); err != nil {
		return fmt.Errorf("kvstore: ping: %w", err)
	}
	return nil
}

func seg(s string) string { return hex.EncodeToString([]byte(s)) }

func unseg(s string) (string, error) {
	b, err := hex.DecodeString(s)
	return string(b), err
}

func jobKey(id string) string { return pJob + seg(id) }

// createdHex orders times bytewise; flipping the sign bit keeps pre-1970 times in order.
func createdHex(t time.Time) string {
	return fmt.Sprintf("%016x", uint64(t.UnixNano())^(1<<63))
}

func acctJobKey(j *batch.Job) string {
	return pAcctJob + seg(j.Account) + "." + createdHex(j.CreatedAt) + "." + seg(j.ID)
}

// getJSON reads key into v and returns its revision. A missing key wraps
// jetstream.ErrKeyNotFound.
func (s *Store) getJSON(ctx context.Context, key string, v any) (uint64, error) {
	e, err := s.kv.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	if err := json.Unmarshal(e.Value(), v); err != nil {
		return 0, fmt.Errorf("kvstore: decode %s: %w", key, err)
	}
	return e.Revision(), nil
}

func missing(err error) bool {
	return errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted)
}

// keysUnder lists the keys under prefix (which ends in "."), in no particular order. It
// asks the stream's leader which subjects hold messages, rather than running a KV
// watcher: the watcher's consumer may sit on a follower that has not seen this node's
// latest write. Deleted keys still hold their delete marker, so callers read each key
// and skip the missing ones.
func (s *Store) keysUnder(ctx context.Context, prefix string) ([]string, error) {
	subjectPrefix := "$KV." + s.bucket + "."
	info, err := retry(ctx, func(ctx context.Context) (*jetstream.StreamInfo, error) {
		return s.stream.Info(ctx, jetstream.WithSubjectFilter(subjectPrefix+prefix+">"))
	})
	if err != nil {
		return nil, fmt.Errorf("kvstore: list %s: %w", prefix, err)
	}
	out := make([]string, 0, len(info.State.Subjects))
	for subj := range info.State.Subjects {
		out = append(out, strings.TrimPrefix(subj, subjectPrefix))
	}
	return out, nil
}

// valuesUnder reads every value under prefix, in no particular order, each from the
// stream's leader (see keysUnder).
func (s *Store) valuesUnder(ctx context.Context, prefix string, fn func(key string, v []byte) error) error {
	return s.entriesUnder(ctx, prefix, func(e jetstream.KeyValueEntry) error { return fn(e.Key(), e.Value()) })
}

// entriesUnder is valuesUnder with each entry's revision.
func (s *Store) entriesUnder(ctx context.Context, prefix string, fn func(jetstream.KeyValueEntry) error) error {
	keys, err := s.keysUnder(ctx, prefix)
	if err != nil {
		return err
	}
	for _, k := range keys {
		e, err := s.kv.Get(ctx, k)
		if missing(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("kvstore: read %s: %w", k, err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// ---- jobs ----

// CreateJob is store.DB.CreateJob. A job created already processing takes one of its
// account's active slots, so that every processing job holds one.
func (s *Store) CreateJob(ctx context.Context, j *batch.Job) error {
	if j.ID == "" {
		return errors.New("kvstore: job without an id")
	}
	if err := store.ValidAccount(j.Account); err != nil {
		return err
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = s.now().UTC()
	}
	if j.Status == "" {
		j.Status = batch.StatusPending
	}
	v, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("kvstore: encode job %s: %w", j.ID, err)
	}
	if _, err := s.kv.Create(ctx, jobKey(j.ID), v); err != nil {
		if errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("%w: job %s already exists", batch.ErrConflict, j.ID)
		}
		return fmt.Errorf("kvstore: create job %s: %w", j.ID, err)
	}
	if _, err := s.kv.Put(ctx, acctJobKey(j), nil); err != nil {
		return fmt.Errorf("kvstore: index job %s: %w", j.ID, err)
	}
	if j.Status == batch.StatusProcessing {
		if _, _, err := s.takeSlot(ctx, j.Account, j.ID, math.MaxInt); err != nil {
			return err
		}
	}
	return nil
}

// job reads job id; account "" matches any account, another account's job is not found.
func (s *Store) job(ctx context.Context, account, id string) (*batch.Job, uint64, error) {
	var j batch.Job
	rev, err := s.getJSON(ctx, jobKey(id), &j)
	if missing(err) || err == nil && account != "" && j.Account != account {
		return nil, 0, fmt.Errorf("%w: job %s", batch.ErrNotFound, id)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("kvstore: get job %s: %w", id, err)
	}
	return &j, rev, nil
}

// Job is store.DB.Job.
func (s *Store) Job(ctx context.Context, account, id string) (*batch.Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	j, _, err := s.job(ctx, account, id)
	return j, err
}

type indexEntry struct {
	created string // 16 hex digits
	id      string
}

// compareNewestFirst orders index entries newest first, then by id descending.
func compareNewestFirst(a, b indexEntry) int {
	return cmp.Or(strings.Compare(b.created, a.created), strings.Compare(b.id, a.id))
}

// Jobs is store.DB.Jobs. It lists the account's index keys, which carry each job's
// creation time, so it reads only the jobs it returns (and those a status filter skips).
func (s *Store) Jobs(ctx context.Context, account, after string, status batch.Status, limit int) ([]*batch.Job, error) {
	if err := store.ValidAccount(account); err != nil {
		return nil, err
	}
	switch {
	case limit <= 0:
		limit = 20
	case limit > 101:
		limit = 101
	}
	prefix := pAcctJob + seg(account) + "."
	keys, err := s.keysUnder(ctx, prefix)
	if err != nil {
		return nil, err
	}
	entries := make([]indexEntry, 0, len(keys))
	for _, k := range keys {
		created, idHex, ok := strings.Cut(strings.TrimPrefix(k, prefix), ".")
		id, err := unseg(idHex)
		if !ok || err != nil {
			return nil, fmt.Errorf("kvstore: malformed index key %q", k)
		}
		entries = append(entries, indexEntry{created, id})
	}
	slices.SortFunc(entries, compareNewestFirst)
	if after != "" {
		cur, _, err := s.job(ctx, account, after)
		if errors.Is(err, batch.ErrNotFound) {
			return nil, fmt.Errorf("%w: cursor job %s", batch.ErrNotFound, after)
		}
		if err != nil {
			return nil, err
		}
		at := indexEntry{createdHex(cur.CreatedAt), cur.ID}
		i, _ := slices.BinarySearchFunc(entries, at, compareNewestFirst)
		for i < len(entries) && compareNewestFirst(entries[i], at) <= 0 {
			i++
		}
		entries = entries[i:]
	}
	out := make([]*batch.Job, 0, min(limit, len(entries)))
	for _, e := range entries {
		if len(out) == limit {
			break
		}
		j, _, err := s.job(ctx, account, e.id)
		if errors.Is(err, batch.ErrNotFound) {
			continue // deleted between the listing and now, or an index entry a crash left
		}
		if err != nil {
			return nil, err
		}
		if status != "" && j.Status != status {
			continue
		}
		out = append(out, j)
	}
	return out, nil
}

// allJobs calls fn for every stored job.
func (s *Store) allJobs(ctx context.Context, fn func(*batch.Job)) error {
	return s.valuesUnder(ctx, pJob, func(key string, v []byte) error {
		var j batch.Job
		if err := json.Unmarshal(v, &j); err != nil {
			return fmt.Errorf("kvstore: decode %s: %w", key, err)
		}
		fn(&j)
		return nil
	})
}

// JobsByStatus is store.DB.JobsByStatus.
func (s *Store) JobsByStatus(ctx context.Context, status batch.Status) ([]*batch.Job, error) {
	var out []*batch.Job
	err := s.allJobs(ctx, func(j *batch.Job) {
		if j.Status == status {
			out = append(out, j)
		}
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *batch.Job) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// UpdateJob is store.DB.UpdateJob, with one difference: when another writer changed the
// job between the read and the write, fn runs again on the fresh job, so fn must be
// safe to run more than once. After the job is saved its counters are booked (see
// book), and a job that stopped processing gives its active slot back.
func (s *Store) UpdateJob(ctx context.Context, id string, fn func(*batch.Job) error) (*batch.Job, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		j, rev, err := s.job(ctx, "", id)
		if err != nil {
			return nil, err
		}
		account, created := j.Account, j.CreatedAt
		before, wasStatus := j.Checkpoint, j.Status
		if err := fn(j); err != nil {
			return nil, err
		}
		if j.ID != id || j.Account != account || !j.CreatedAt.Equal(created) {
			return nil, fmt.Errorf("kvstore: UpdateJob %s: fn changed the job's id, account or created_at", id)
		}
		v, err := json.Marshal(j)
		if err != nil {
			return nil, fmt.Errorf("kvstore: encode job %s: %w", id, err)
		}
		_, err = s.kv.Update(ctx, jobKey(id), v, rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("kvstore: update job %s: %w", id, err)
		}
		if err := s.book(ctx, before, wasStatus, j); err != nil {
			return nil, fmt.Errorf("kvstore: job %s was saved but its counters were not: %w", id, err)
		}
		if wasStatus == batch.StatusProcessing && j.Status != batch.StatusProcessing {
			if err := s.releaseSlot(ctx, j.Account, j.ID); err != nil {
				return nil, err
			}
		}
		return j, nil
	}
}

// StartJob is store.DB.StartJob, and records this node as the job's (batch.Job.Node).
// The account's active slots decide: the start first creates a slot (create-if-absent,
// see takeSlot), then moves the job to processing by an update of the revision it read.
// Losing either write means another start won.
func (s *Store) StartJob(ctx context.Context, account, id string, maxActive int, now time.Time) (*batch.Job, error) {
	maxActive = max(maxActive, 1)
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		j, rev, err := s.job(ctx, account, id)
		if err != nil {
			return nil, err
		}
		if j.Status != batch.StatusPending && j.Status != batch.StatusFailed {
			return nil, batch.NewStateError(j, "start")
		}
		slot, slotRev, err := s.takeSlot(ctx, j.Account, j.ID, maxActive)
		if err != nil {
			return nil, err
		}
		j.Status = batch.StatusProcessing
		j.StartedAt = now.UTC()
		j.Error = ""
		j.CancelRequested = false
		j.CompletedAt = time.Time{}
		j.Node = s.node
		v, err := json.Marshal(j)
		if err != nil {
			return nil, fmt.Errorf("kvstore: encode job %s: %w", id, err)
		}
		_, err = s.kv.Update(ctx, jobKey(id), v, rev)
		if err == nil {
			return j, nil
		}
		// The job changed since it was read: give the slot back and look again (a racing
		// start of the same job will now be seen as processing).
		if derr := s.kv.Delete(ctx, slot, slotRev, false); derr != nil && !missing(derr) &&
			!errors.Is(derr, jetstream.ErrKeyRevisionMismatch) {
			err = errors.Join(err, derr)
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return nil, fmt.Errorf("kvstore: start job %s: %w", id, err)
		}
	}
}

// takeSlot creates one of account's active slots for job id and returns its key and
// revision. Slots are numbered from 0; all existing ones are looked at first, so the
// count is of every slot whatever limit was in force when it was taken. A slot whose job
// is no longer processing (and that is older than slotGrace) was left behind by a
// crash and is removed, by revision. With maxActive slots held by others the result is
// a *batch.ActiveLimitError.
func (s *Store) takeSlot(ctx context.Context, account, id string, maxActive int) (string, uint64, error) {
	prefix := pActive + seg(account) + "."
	for {
		if err := ctx.Err(); err != nil {
			return "", 0, err
		}
		keys, err := s.keysUnder(ctx, prefix)
		if err != nil {
			return "", 0, err
		}
		used := map[int]bool{}
		var active []string
		retry := false
		for _, k := range keys {
			n, err := strconv.Atoi(strings.TrimPrefix(k, prefix))
			if err != nil {
				return "", 0, fmt.Errorf("kvstore: malformed slot key %q", k)
			}
			holder, state, err := s.slotHolder(ctx, k)
			if err != nil {
				return "", 0, err
			}
			switch state {
			case slotFree:
				continue
			case slotFreed:
				retry = true // a stale slot was removed: count again
				continue
			}
			used[n] = true
			active = append(active, holder)
		}
		if retry {
			continue
		}
		if len(active) >= maxActive {
			slices.Sort(active)
			return "", 0, &batch.ActiveLimitError{Active: active, Limit: maxActive}
		}
		n := 0
		for used[n] {
			n++
		}
		key := prefix + strconv.Itoa(n)
		// The token tells this create from another start of the same job (bucket.Create).
		rev, err := s.kv.Create(ctx, key, []byte(id+"\n"+rand.Text()))
		if errors.Is(err, jetstream.ErrKeyExists) {
			continue // someone else took it first: count again
		}
		if err != nil {
			return "", 0, fmt.Errorf("kvstore: take slot %s: %w", key, err)
		}
		return key, rev, nil
	}
}

// slotJob is the job id a slot's value names (its first line; a token follows).
func slotJob(v []byte) string {
	id, _, _ := strings.Cut(string(v), "\n")
	return id
}

type slotState int

const (
	slotHeld  slotState = iota
	slotFree            // no slot (a deleted one's marker)
	slotFreed           // a stale slot, removed just now
)

// slotHolder returns the job holding slot key. A slot whose job is not processing and
// that is older than slotGrace is stale: it is removed, by revision.
func (s *Store) slotHolder(ctx context.Context, key string) (string, slotState, error) {
	e, err := s.kv.Get(ctx, key)
	if missing(err) {
		return "", slotFree, nil
	}
	if err != nil {
		return "", 0, fmt.Errorf("kvstore: read slot %s: %w", key, err)
	}
	holder := slotJob(e.Value())
	j, _, err := s.job(ctx, "", holder)
	if err != nil && !errors.Is(err, batch.ErrNotFound) {
		return "", 0, err
	}
	if err == nil && j.Status == batch.StatusProcessing || time.Since(e.Created()) < slotGrace {
		return holder, slotHeld, nil
	}
	err = s.kv.Delete(ctx, key, e.Revision(), false)
	if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !missing(err) {
		return "", 0, fmt.Errorf("kvstore: remove stale slot %s: %w", key, err)
	}
	return "", slotFreed, nil
}

// releaseSlot removes the slot that job id of account holds, if any.
func (s *Store) releaseSlot(ctx context.Context, account, id string) error {
	return s.entriesUnder(ctx, pActive+seg(account)+".", func(e jetstream.KeyValueEntry) error {
		if slotJob(e.Value()) != id {
			return nil
		}
		err := s.kv.Delete(ctx, e.Key(), e.Revision(), false)
		if err != nil && !errors.Is(err, jetstream.ErrKeyRevisionMismatch) && !missing(err) {
			return fmt.Errorf("kvstore: release slot %s: %w", e.Key(), err)
		}
		return nil
	})
}

// DeleteJob is store.DB.DeleteJob.
func (s *Store) DeleteJob(ctx context.Context, account, id string) (*batch.Job, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		j, rev, err := s.job(ctx, account, id)
		if err != nil {
			return nil, err
		}
		if j.Active() {
			return nil, batch.NewStateError(j, "delete")
		}
		err = s.deleteJob(ctx, j, rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return j, nil
	}
}

// deleteJob removes j if it is still at revision rev, then its index entry and its
// reviews. The job's deletion is the decided write; the two that follow are idempotent,
// and a review written meanwhile removes itself (reviews.go).
func (s *Store) deleteJob(ctx context.Context, j *batch.Job, rev uint64) error {
	if err := s.kv.Delete(ctx, jobKey(j.ID), rev, true); err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return err
		}
		return fmt.Errorf("kvstore: delete job %s: %w", j.ID, err)
	}
	if err := s.kv.Delete(ctx, acctJobKey(j), 0, true); err != nil && !missing(err) {
		return fmt.Errorf("kvstore: delete index of job %s: %w", j.ID, err)
	}
	if err := s.kv.Delete(ctx, reviewsKey(j.ID), 0, true); err != nil && !missing(err) {
		return fmt.Errorf("kvstore: delete reviews of job %s: %w", j.ID, err)
	}
	return nil
}

// FinishedBefore is store.DB.FinishedBefore.
func (s *Store) FinishedBefore(ctx context.Context, t time.Time) ([]*batch.Job, error) {
	var out []*batch.Job
	err := s.allJobs(ctx, func(j *batch.Job) {
		if finishedBefore(j, t) {
			out = append(out, j)
		}
	})
	return out, err
}

func finishedBefore(j *batch.Job, t time.Time) bool {
	finished := j.Status == batch.StatusCompleted || j.Status == batch.StatusFailed
	return finished && !j.FinishedAt.IsZero() && j.FinishedAt.Before(t)
}

// DeleteFinishedBefore is store.DB.DeleteFinishedBefore: the delete is of the revision
// that was checked, so a job restarted meanwhile is kept.
func (s *Store) DeleteFinishedBefore(ctx context.Context, id string, t time.Time) (bool, error) {
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		j, rev, err := s.job(ctx, "", id)
		if errors.Is(err, batch.ErrNotFound) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !finishedBefore(j, t) {
			return false, nil
		}
		err = s.deleteJob(ctx, j, rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		return err == nil, err
	}
}

// ---- keys ----

// keysDoc is every API key in one value. Keys are few and change rarely, so one
// document updated by revision makes each key operation a single compare-and-swap: two
// admins revoking each other at once cannot both succeed, and a secret cannot be
// imported twice.
type keysDoc struct {
	Keys []keyRecord `json:"keys"`
}

type keyRecord struct {
	store.Key
	Hash string `json:"hash"` // hex SHA-256 of the secret
}

func (d *keysDoc) byHash(sum [sha256.Size]byte) *keyRecord {
	for i := range d.Keys {
		stored, err := hex.DecodeString(d.Keys[i].Hash)
		// Constant-time, as the bbolt store compares the stored hash.
		if err == nil && subtle.ConstantTimeCompare(stored, sum[:]) == 1 {
			return &d.Keys[i]
		}
	}
	return nil
}

func (d *keysDoc) byID(id string) *keyRecord {
	for i := range d.Keys {
		if d.Keys[i].ID == id {
			return &d.Keys[i]
		}
	}
	return nil
}

func (s *Store) readKeys(ctx context.Context) (*keysDoc, uint64, error) {
	var d keysDoc
	rev, err := s.getJSON(ctx, pKeys, &d)
	if missing(err) {
		return &keysDoc{}, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("kvstore: read keys: %w", err)
	}
	return &d, rev, nil
}

// changeKeys reads the keys document, lets fn change it and writes it back by revision
// (create when there was none), retrying from the read when another writer came first.
func (s *Store) changeKeys(ctx context.Context, fn func(*keysDoc) error) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		d, rev, err := s.readKeys(ctx)
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
		v, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("kvstore: encode keys: %w", err)
		}
		if rev == 0 {
			_, err = s.kv.Create(ctx, pKeys, v)
		} else {
			_, err = s.kv.Update(ctx, pKeys, v, rev)
		}
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return fmt.Errorf("kvstore: write keys: %w", err)
		}
		return nil
	}
}

func (s *Store) addKey(d *keysDoc, account, secret string, sum [sha256.Size]byte, admin bool) *store.Key {
	id := store.NewKeyID()
	for d.byID(id) != nil {
		id = store.NewKeyID()
	}
	d.Keys = append(d.Keys, keyRecord{
		Key: store.Key{
			ID: id, Account: account, Prefix: store.DisplayPrefix(secret), Admin: admin, CreatedAt: s.now().UTC(),
		},
		Hash: hex.EncodeToString(sum[:]),
	})
	k := d.Keys[len(d.Keys)-1].Key
	return &k
}

// CreateKey is store.DB.CreateKey.
func (s *Store) CreateKey(ctx context.Context, account string, admin bool) (string, *store.Key, error) {
	if err := store.ValidAccount(account); err != nil {
		return "", nil, err
	}
	secret := store.NewSecret()
	sum := sha256.Sum256([]byte(secret))
	var out *store.Key
	err := s.changeKeys(ctx, func(d *keysDoc) error {
		if d.byHash(sum) != nil {
			return errors.New("kvstore: key secret collides with an existing key")
		}
		out = s.addKey(d, account, secret, sum, admin)
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	return secret, out, nil
}

// ImportKey is store.DB.ImportKey.
func (s *Store) ImportKey(ctx context.Context, account, secret string, admin bool) (*store.Key, error) {
	if err := store.ValidAccount(account); err != nil {
		return nil, err
	}
	if err := store.ValidImportedSecret(secret); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(secret))
	var out *store.Key
	err := s.changeKeys(ctx, func(d *keysDoc) error {
		if rec := d.byHash(sum); rec != nil {
			rec.Account, rec.Admin = account, admin
			k := rec.Key
			out = &k
			return nil
		}
		out = s.addKey(d, account, secret, sum, admin)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Authenticate is store.DB.Authenticate. It reads the keys document on every call
// (there is no cache yet: another node may revoke a key at any time).
func (s *Store) Authenticate(ctx context.Context, secret string) (*store.Key, error) {
	if secret == "" {
		return nil, store.ErrInvalidKey
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, _, err := s.readKeys(ctx)
	if err != nil {
		return nil, err
	}
	rec := d.byHash(sha256.Sum256([]byte(secret)))
	if rec == nil || rec.Revoked() {
		return nil, store.ErrInvalidKey
	}
	k := rec.Key
	return &k, nil
}

// Keys is store.DB.Keys.
func (s *Store) Keys(ctx context.Context) ([]*store.Key, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, _, err := s.readKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*store.Key, len(d.Keys))
	for i := range d.Keys {
		k := d.Keys[i].Key
		out[i] = &k
	}
	slices.SortFunc(out, func(a, b *store.Key) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), strings.Compare(a.ID, b.ID))
	})
	return out, nil
}

// RevokeKey is store.DB.RevokeKey.
func (s *Store) RevokeKey(ctx context.Context, id string) error {
	_, err := s.Revoke(ctx, id)
	return err
}

// Revoke is store.DB.Revoke.
func (s *Store) Revoke(ctx context.Context, id string) (*store.Key, error) {
	var out *store.Key
	err := s.changeKeys(ctx, func(d *keysDoc) error {
		rec := d.byID(id)
		if rec == nil {
			return fmt.Errorf("%w: key %s", batch.ErrNotFound, id)
		}
		if !rec.Revoked() {
			if rec.Admin && !slices.ContainsFunc(d.Keys, func(o keyRecord) bool { return o.Admin && !o.Revoked() && o.ID != id }) {
				return fmt.Errorf("%w: %s is the last admin key; create another admin key first", batch.ErrConflict, id)
			}
			rec.RevokedAt = s.now().UTC()
		}
		k := rec.Key
		out = &k
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CountKeys is store.DB.CountKeys.
func (s *Store) CountKeys(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d, _, err := s.readKeys(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range d.Keys {
		if !k.Revoked() {
			n++
		}
	}
	return n, nil
}

// ---- classifiers ----

func clfPrefix(account, name string) string { return pClf + seg(account) + "." + name + "." }

// SaveClassifier is store.DB.SaveClassifier. The version is reserved first, by a
// compare-and-swap of the account's sequence for name, so two nodes saving at once get
// different versions; a crash after the reservation only skips a number.
func (s *Store) SaveClassifier(ctx context.Context, account, name string, spec classify.Spec) (*store.Classifier, error) {
	if err := checkClassifierArgs(account, name); err != nil {
		return nil, err
	}
	seqKey := pClfSeq + seg(account) + "." + name
	var version uint32
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		e, err := s.kv.Get(ctx, seqKey)
		var last uint32
		switch {
		case missing(err):
		case err != nil:
			return nil, fmt.Errorf("kvstore: read classifier sequence %s: %w", name, err)
		case len(e.Value()) == 4:
			last = binary.BigEndian.Uint32(e.Value())
		default:
			return nil, fmt.Errorf("kvstore: corrupt classifier sequence %s", name)
		}
		if last == math.MaxUint32 {
			return nil, fmt.Errorf("kvstore: classifier %s has run out of versions", name)
		}
		next := binary.BigEndian.AppendUint32(nil, last+1)
		if e == nil {
			_, err = s.kv.Create(ctx, seqKey, next)
		} else {
			_, err = s.kv.Update(ctx, seqKey, next, e.Revision())
		}
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("kvstore: reserve classifier version %s: %w", name, err)
		}
		version = last + 1
		break
	}
	c := &store.Classifier{Account: account, Name: name, Version: int(version), Spec: spec, CreatedAt: s.now().UTC()}
	v, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("kvstore: encode classifier %s: %w", name, err)
	}
	if _, err := s.kv.Create(ctx, clfPrefix(account, name)+fmt.Sprintf("%010d", version), v); err != nil {
		return nil, fmt.Errorf("kvstore: put classifier %s: %w", name, err)
	}
	return c, nil
}

func checkClassifierArgs(account, name string) error {
	if err := store.ValidAccount(account); err != nil {
		return err
	}
	if !store.ValidClassifierName(name) {
		return fmt.Errorf("kvstore: invalid classifier name %q", name)
	}
	return nil
}

// Classifier is store.DB.Classifier.
func (s *Store) Classifier(ctx context.Context, account, name string, version int) (*store.Classifier, error) {
	notFound := fmt.Errorf("%w: classifier %s", batch.ErrNotFound, name)
	if checkClassifierArgs(account, name) != nil || version < 0 || version > math.MaxUint32 {
		return nil, notFound
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := clfPrefix(account, name) + fmt.Sprintf("%010d", version)
	if version == 0 {
		keys, err := s.keysUnder(ctx, clfPrefix(account, name))
		if err != nil {
			return nil, err
		}
		if len(keys) == 0 {
			return nil, notFound
		}
		key = slices.Max(keys) // zero-padded versions: the greatest key is the latest
	}
	var c store.Classifier
	_, err := s.getJSON(ctx, key, &c)
	if missing(err) {
		return nil, notFound
	}
	if err != nil {
		return nil, fmt.Errorf("kvstore: get classifier %s: %w", name, err)
	}
	return &c, nil
}

// Classifiers is store.DB.Classifiers.
func (s *Store) Classifiers(ctx context.Context, account string) ([]store.ClassifierSummary, error) {
	if err := store.ValidAccount(account); err != nil {
		return nil, err
	}
	byName := map[string]*store.ClassifierSummary{}
	err := s.valuesUnder(ctx, pClf+seg(account)+".", func(key string, v []byte) error {
		var c store.Classifier
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("kvstore: decode %s: %w", key, err)
		}
		sum := byName[c.Name]
		if sum == nil {
			sum = &store.ClassifierSummary{}
			byName[c.Name] = sum
		}
		sum.Versions++
		if sum.Latest == nil || c.Version > sum.Latest.Version {
			sum.Latest = &c
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []store.ClassifierSummary
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range byName {
			if !yield(n) {
				return
			}
		}
	}) {
		out = append(out, *byName[name])
	}
	return out, nil
}

// DeleteClassifier is store.DB.DeleteClassifier. Its sequence is kept, so version
// numbers are not reused.
func (s *Store) DeleteClassifier(ctx context.Context, account, name string) (int, error) {
	if checkClassifierArgs(account, name) != nil {
		return 0, fmt.Errorf("%w: classifier %s", batch.ErrNotFound, name)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	keys, err := s.keysUnder(ctx, clfPrefix(account, name))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		e, err := s.kv.Get(ctx, k)
		if missing(err) {
			continue // deleted before: only its marker is left
		}
		if err == nil {
			err = s.kv.Delete(ctx, k, e.Revision(), true)
		}
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue // deleted by someone else meanwhile (versions are never rewritten)
		}
		if err != nil {
			return n, fmt.Errorf("kvstore: delete classifier %s: %w", name, err)
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("%w: classifier %s", batch.ErrNotFound, name)
	}
	return n, nil
}

// ClassifierFitState is store.DB.ClassifierFitState. This store keeps no fits yet: a fit
// state can be a few MB and a KV value is limited to the server's max_payload (1 MB by
// default), so a real-time call naming a saved classifier answers with its spec alone, and
// the runner, finding no KeepClassifierFit here, keeps nothing (README, cluster mode).
func (s *Store) ClassifierFitState(ctx context.Context, account, name string, version int) ([]byte, error) {
	return nil, ctx.Err()
}

// ---- usage and stats ----

// book does what store.DB.UpdateJob does in its transaction, after the job was saved:
// progress goes to the appliance-wide totals, and the transition to completed books the
// job's usage. The usage is one value per job, written whole, so booking it again
// (a retry after a failure here) cannot count it twice.
func (s *Store) book(ctx context.Context, before batch.Checkpoint, wasStatus batch.Status, j *batch.Job) error {
	d := store.BatchTotals{
		LinesCompleted: max(j.Checkpoint.Completed-before.Completed, 0),
		LinesFailed:    max(j.Checkpoint.Failed-before.Failed, 0),
		Tokens:         max(j.Checkpoint.Tokens-before.Tokens, 0),
	}
	if d != (store.BatchTotals{}) {
		err := s.casJSON(ctx, kStats, func(t *store.BatchTotals) {
			t.LinesCompleted += d.LinesCompleted
			t.LinesFailed += d.LinesFailed
			t.Tokens += d.Tokens
		})
		if err != nil {
			return err
		}
	}
	if wasStatus != batch.StatusCompleted && j.Status == batch.StatusCompleted {
		day := j.CompletedAt
		if day.IsZero() {
			day = s.now()
		}
		v, err := json.Marshal(store.Usage{
			Jobs:        1,
			BatchLines:  j.Checkpoint.Completed + j.Checkpoint.Failed,
			BatchTokens: j.Checkpoint.Tokens,
		})
		if err != nil {
			return err
		}
		key := pUsageJob + seg(j.Account) + "." + day.UTC().Format(store.DateLayout) + "." + seg(j.ID)
		if _, err := s.kv.Put(ctx, key, v); err != nil {
			return fmt.Errorf("kvstore: book usage of job %s: %w", j.ID, err)
		}
	}
	return nil
}

// casJSON applies fn to the JSON value at key (zero if absent) by compare-and-swap.
func casJSON[T any](ctx context.Context, kv bucket, key string, fn func(*T)) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var v T
		e, err := kv.Get(ctx, key)
		switch {
		case missing(err):
			e = nil
		case err != nil:
			return fmt.Errorf("kvstore: read %s: %w", key, err)
		default:
			if err := json.Unmarshal(e.Value(), &v); err != nil {
				return fmt.Errorf("kvstore: decode %s: %w", key, err)
			}
		}
		fn(&v)
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("kvstore: encode %s: %w", key, err)
		}
		if e == nil {
			_, err = kv.Create(ctx, key, b)
		} else {
			_, err = kv.Update(ctx, key, b, e.Revision())
		}
		if errors.Is(err, jetstream.ErrKeyExists) || errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue
		}
		if err != nil {
			return fmt.Errorf("kvstore: write %s: %w", key, err)
		}
		return nil
	}
}

func (s *Store) casJSON(ctx context.Context, key string, fn func(*store.BatchTotals)) error {
	return casJSON(ctx, s.kv, key, fn)
}

// RecordUsages is store.DB.RecordUsages, one compare-and-swap per account and day (the
// deltas for one of them are summed first). Unlike the bbolt store, a failure part way
// leaves the days before it written.
func (s *Store) RecordUsages(ctx context.Context, deltas []store.UsageDelta) error {
	for _, d := range deltas {
		if err := store.ValidAccount(d.Account); err != nil {
			return err
		}
	}
	sums := map[string]store.Usage{}
	var order []string
	for _, d := range deltas {
		key := pUsage + seg(d.Account) + "." + d.Day.UTC().Format(store.DateLayout)
		u, seen := sums[key]
		if !seen {
			order = append(order, key)
		}
		addUsage(&u, d.Usage)
		sums[key] = u
	}
	for _, key := range order {
		if err := casJSON(ctx, s.kv, key, func(u *store.Usage) { addUsage(u, sums[key]) }); err != nil {
			return err
		}
	}
	return nil
}

func addUsage(u *store.Usage, d store.Usage) {
	u.Requests += d.Requests
	u.RealtimeTokens += d.RealtimeTokens
	u.BatchLines += d.BatchLines
	u.BatchTokens += d.BatchTokens
	u.Jobs += d.Jobs
}

// UsageRange is store.DB.UsageRange: real-time days and completed jobs summed by day.
func (s *Store) UsageRange(ctx context.Context, account string, from, to time.Time) ([]store.UsageDay, error) {
	if err := store.ValidAccount(account); err != nil {
		return nil, err
	}
	first, last := from.UTC().Format(store.DateLayout), to.UTC().Format(store.DateLayout)
	days := map[string]*store.UsageDay{}
	for _, prefix := range []string{pUsage, pUsageJob} {
		prefix += seg(account) + "."
		err := s.valuesUnder(ctx, prefix, func(key string, v []byte) error {
			day, _, _ := strings.Cut(strings.TrimPrefix(key, prefix), ".")
			if day < first || day > last {
				return nil
			}
			var u store.Usage
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("kvstore: decode %s: %w", key, err)
			}
			d := days[day]
			if d == nil {
				d = &store.UsageDay{Date: day}
				days[day] = d
			}
			addUsage(&d.Usage, u)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	var out []store.UsageDay
	for _, d := range days {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b store.UsageDay) int { return strings.Compare(a.Date, b.Date) })
	return out, nil
}

// JobStats is store.DB.JobStats.
func (s *Store) JobStats(ctx context.Context) (store.JobStats, error) {
	out := store.JobStats{ByStatus: map[batch.Status]int{}}
	if err := s.allJobs(ctx, func(j *batch.Job) { out.ByStatus[j.Status]++ }); err != nil {
		return out, err
	}
	_, err := s.getJSON(ctx, kStats, &out.Totals)
	if err != nil && !missing(err) {
		return out, fmt.Errorf("kvstore: read batch totals: %w", err)
	}
	return out, nil
}

// AllJobs is store.DB.AllJobs: every account's jobs, newest first. Every job is read
// (as JobStats does), because a deleted key keeps its delete marker in the stream and so
// only reading tells a job from a deleted one: the total must not count those. Only the
// order is kept, and the page's jobs are read again.
func (s *Store) AllJobs(ctx context.Context, offset, limit int) ([]*batch.Job, int, error) {
	var entries []indexEntry
	err := s.allJobs(ctx, func(j *batch.Job) {
		entries = append(entries, indexEntry{createdHex(j.CreatedAt), j.ID})
	})
	if err != nil {
		return nil, 0, err
	}
	slices.SortFunc(entries, compareNewestFirst)
	total := len(entries)
	var out []*batch.Job
	for _, e := range entries[min(offset, total):min(offset+limit, total)] {
		j, _, err := s.job(ctx, "", e.id)
		if errors.Is(err, batch.ErrNotFound) {
			continue // deleted since
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, j)
	}
	return out, total, nil
}
