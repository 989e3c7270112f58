package batch

// Running is how many jobs this runner is working on now (the admin system page's
// active count: a job the store calls processing may be waiting for a resume).
func (r *Runner) Running() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.running)
}
