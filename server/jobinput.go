package server

import (
	"context"
	"errors"
	"io/fs"
	"sync"
	"time"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/blob"
)

// Whether a pending job has its input (issue 22, finding 12). An upload to S3 goes
// straight to the bucket and the appliance never hears of it, so the job record cannot
// say whether a file is there; only the store can. Pending jobs are therefore looked up
// in the store (one Stat each) when they are shown, and their view says has_input and,
// until the input is counted at start, input_bytes from the object's size.

const (
	// inputStatTimeout bounds the lookups of one answer: a slow store must not hold the
	// job page's poll or the jobs list.
	inputStatTimeout = 5 * time.Second
	// inputStatWorkers bounds the lookups in flight for one list page.
	inputStatWorkers = 8
)

// viewJobs is viewJob for each job, with the input of pending jobs looked up in storage.
func (s *Server) viewJobs(ctx context.Context, jobs ...*batch.Job) []jobView {
	views := make([]jobView, len(jobs))
	var pending []int
	for i, j := range jobs {
		views[i] = viewJob(j)
		if j.Status == batch.StatusPending {
			pending = append(pending, i)
		}
	}
	s.reviewSummaries(ctx, jobs, views)
	if len(pending) == 0 {
		return views
	}
	ctx, cancel := context.WithTimeout(ctx, inputStatTimeout)
	defer cancel()
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(inputStatWorkers, len(pending)) {
		wg.Go(func() {
			for i := range next {
				s.lookUpInput(ctx, jobs[i], &views[i])
			}
		})
	}
	for _, i := range pending {
		next <- i
	}
	close(next)
	wg.Wait()
	return views
}

// lookUpInput sets v.HasInput from the store. A store that cannot answer leaves the job
// shown without input (and logs why): start, which checks the store again, would refuse
// it now anyway.
func (s *Server) lookUpInput(ctx context.Context, j *batch.Job, v *jobView) {
	size, err := s.blobs.Stat(ctx, j.InputKey)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, blob.ErrNotExist) {
			s.log.Warn("looking up a pending job's input", "job_id", j.ID, "key", j.InputKey, "err", err)
		}
		return
	}
	v.HasInput = true
	if !j.Counted {
		v.InputBytes = size
	}
}
