package main

// Issue 25, the shared work queue: shards, leases, commits by compare-and-swap, one
// finalize composing the parts.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "shards: a stalled worker's commit (its record changed since its lease) is refused and its part deleted",
			file:  "cluster/shards/shards.go",
			old:   "if _, err := q.write(bg, key, rec, rev); err != nil {",
			new:   "if _, err := q.write(bg, key, rec, rev); false && err != nil {",
			tests: []string{"cluster/shards:TestStalledWorkerCommitRefused"},
			needs: "CLASSER_TEST_S3_ENDPOINT",
		},
		{
			name:  "shards: a job is finalized once (the finalize key is taken by compare-and-swap)",
			file:  "cluster/shards/shards.go",
			old:   "if !q.takeLease(ctx, finalizeKey(job.ID), 2*q.cfg.Lease) {",
			new:   "if false {",
			tests: []string{"cluster/shards:TestFinalizeOnce"},
			needs: "CLASSER_TEST_S3_ENDPOINT",
		},
		{
			name:  "shards: a job is not finalized while its shards are still being dispatched (records carry the job's shard count)",
			file:  "cluster/shards/shards.go",
			old:   "if len(recs) == 0 || len(recs) != recs[0].Of || slices.ContainsFunc(",
			new:   "if len(recs) == 0 || slices.ContainsFunc(",
			tests: []string{"cluster/shards:TestNoFinalizeWhileDispatching"},
			needs: "CLASSER_TEST_S3_ENDPOINT",
		},
		{
			name:  "compose: consecutive small parts are streamed together until they reach S3's 5 MiB part floor",
			file:  "blob/compose.go",
			old:   "if size >= MinPartSize {",
			new:   "if size > 0 {",
			tests: []string{"blob:TestS3Compose"},
			needs: "CLASSER_TEST_S3_ENDPOINT",
		},
		{
			name:  "shards start on line boundaries carrying their result index",
			file:  "batch/count.go",
			old:   "Shard{Offset: ic.c.bytes, Line: ic.physical, Index: ic.c.lines}",
			new:   "Shard{Offset: ic.c.bytes, Line: ic.physical, Index: 0}",
			tests: []string{"batch:TestShardsMatchASingleRun"},
		},
		{
			name:  "a long queue is not published again while its messages are in the stream",
			file:  "cluster/shards/shards.go",
			old:   "(r.State == stateQueued && lost && now.After",
			new:   "(r.State == stateQueued && (lost || true) && now.After",
			tests: []string{"cluster/shards:TestLongQueueNoDuplicates"},
			needs: "CLASSER_TEST_S3_ENDPOINT",
		},
	}...)
}
