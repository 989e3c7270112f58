package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// SweepStore is what the retention sweep needs from the database.
type SweepStore interface {
	FinishedBefore(ctx context.Context, t time.Time) ([]*Job, error)
	// DeleteFinishedBefore checks and deletes in one transaction, so a job
	// restarted between listing and deleting is left alone.
	DeleteFinishedBefore(ctx context.Context, id string, t time.Time) (bool, error)
}

// Deleter removes every object under a prefix.
type Deleter interface {
	Delete(ctx context.Context, prefix string) error
}

// Sweeper deletes completed and failed jobs, with their objects, once they are
// older than the retention period. It never touches a processing job.
type Sweeper struct {
	jobs     SweepStore
	blobs    Deleter
	keep     time.Duration
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewSweeper returns a sweeper that keeps finished jobs for keep and sweeps
// every interval. keep <= 0 keeps jobs forever (Start then does nothing).
func NewSweeper(jobs SweepStore, blobs Deleter, keep, interval time.Duration, log *slog.Logger, now func() time.Time) *Sweeper {
	if now == nil {
		now = time.Now
	}
	if interval <= 0 {
		interval = time.Hour
	}
	return &Sweeper{jobs: jobs, blobs: blobs, keep: keep, interval: interval, log: log, now: now,
		stop: make(chan struct{}), done: make(chan struct{})}
}

// Start sweeps once now and then every interval until Shutdown.
func (s *Sweeper) Start() {
	if s.keep <= 0 {
		close(s.done)
		return
	}
	go func() {
		defer close(s.done)
		t := time.NewTicker(s.interval)
		defer t.Stop()
		for {
			if n, err := s.Sweep(context.Background()); err != nil {
				s.log.Error("retention sweep", "err", err, "deleted", n)
			} else if n > 0 {
				s.log.Info("retention sweep", "deleted", n)
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
}

// Shutdown stops the sweeper and waits for a sweep in progress. Idempotent.
func (s *Sweeper) Shutdown(ctx context.Context) error {
	s.once.Do(func() { close(s.stop) })
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("retention sweeper: %w", ctx.Err())
	}
}

// Sweep deletes the jobs that finished more than the retention period ago and
// returns how many it deleted.
func (s *Sweeper) Sweep(ctx context.Context) (int, error) {
	cutoff := s.now().Add(-s.keep)
	jobs, err := s.jobs.FinishedBefore(ctx, cutoff)
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, j := range jobs {
		deleted, err := s.jobs.DeleteFinishedBefore(ctx, j.ID, cutoff)
		if err != nil {
			errs = append(errs, fmt.Errorf("delete job %s: %w", j.ID, err))
			continue
		}
		if !deleted {
			continue
		}
		if err := s.blobs.Delete(ctx, JobPrefix(j.ID)); err != nil {
			errs = append(errs, fmt.Errorf("delete objects of job %s: %w", j.ID, err))
		}
		n++
	}
	return n, errors.Join(errs...)
}
