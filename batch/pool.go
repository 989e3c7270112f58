package batch

import (
	"sync"
)

// Pool is the bounded set of classification workers shared by every job, so the
// number of busy cores does not grow with the number of jobs.
type Pool struct {
	tasks chan *chunk
	wg    sync.WaitGroup
	once  sync.Once
}

// NewPool starts n workers. The caller owns the pool and must Close it.
func NewPool(n int) *Pool {
	if n < 1 {
		n = 1
	}
	p := &Pool{tasks: make(chan *chunk, n)}
	p.wg.Add(n)
	for range n {
		go func() {
			defer p.wg.Done()
			for c := range p.tasks {
				c.process()
				c.done <- struct{}{}
			}
		}()
	}
	return p
}

// Close stops the workers after the queued chunks are done. It is idempotent
// and must be called only once no pipeline submits any more.
func (p *Pool) Close() {
	p.once.Do(func() { close(p.tasks) })
	p.wg.Wait()
}
