package main

// Issue 25, the cluster's work scheduling: a window of shard messages per job, a lost
// node's job adopted by the sweeper, a compressed input split into decompressed shards.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "shards: only a window of a job's shards is published at its dispatch (a later job is not queued behind all of it)",
			file:  "cluster/shards/shards.go",
			old:   "if n < window {",
			new:   "if true {",
			tests: []string{"cluster/shards:TestWindowInterleavesJobs"},
			needs: "CLASSER_TEST_S3_ENDPOINT",
		},
		{
			name:  "shards: the sweeper publishes the next shard of a window whose committing worker died",
			file:  "cluster/shards/shards.go",
			old:   "if r.State != stateWaiting || r.N < r.Window {",
			new:   "if true {",
			tests: []string{"cluster/shards:TestSweepTopsUpWindow"},
			needs: "CLASSER_TEST_S3_ENDPOINT",
		},
		{
			name:  "shards: the sweeper adopts the job of a node without a heartbeat",
			file:  "cluster/shards/shards.go",
			old:   "if p, ok := procs[j.Node]; ok && !p.Lost {",
			new:   "if p, ok := procs[j.Node]; ok || !p.Lost {",
			tests: []string{"cluster/shards:TestAdoptUncountedJob"},
			needs: "CLASSER_TEST_S3_ENDPOINT",
		},
		{
			name:  "shards: a dispatch again keeps the window of the job's existing records",
			file:  "cluster/shards/shards.go",
			old:   "return rec.Window, nil",
			new:   "return q.cfg.Window + 0*rec.Window, nil",
			tests: []string{"cluster/shards:TestAdoptHalfDispatchedJob"},
			needs: "CLASSER_TEST_S3_ENDPOINT",
		},
		{
			name:  "batch: a compressed input's shard is read from its own decompressed object",
			file:  "batch/shard.go",
			old:   `if s.Key != "" {`,
			new:   `if false {`,
			tests: []string{"batch:TestCompressedShards"},
		},
		{
			name:  "batch: a compressed input is split into objects at line starts, where its shards start",
			file:  "batch/shard.go",
			old:   "if s.pw == nil || (s.lineStart && s.pos-s.start >= s.size) {",
			new:   "if s.pw == nil || s.pos-s.start >= s.size {",
			tests: []string{"batch:TestCompressedShards"},
		},
	}...)
}
