package main

// Issue 25, the foundation: the JetStream KV store passes the store suite, and the
// cluster.* configuration is checked.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "kvstore: an account with maxActive processing jobs refuses another start (the active slots)",
			file:  "store/kvstore/kvstore.go",
			old:   "if len(active) >= maxActive {",
			new:   "if false {",
			tests: []string{"store/kvstore:TestSuiteSingleNode"},
		},
		{
			name:  "kvstore: a job that stops processing gives its account's slot back",
			file:  "store/kvstore/kvstore.go",
			old:   "if wasStatus == batch.StatusProcessing && j.Status != batch.StatusProcessing {",
			new:   "if false {",
			tests: []string{"store/kvstore:TestSuiteSingleNode"},
		},
		{
			name:  "kvstore: a revoked key does not authenticate",
			file:  "store/kvstore/kvstore.go",
			old:   "if rec == nil || rec.Revoked() {",
			new:   "if rec == nil {",
			tests: []string{"store/kvstore:TestSuiteSingleNode"},
		},
		{
			name:  "kvstore: a request that no leader answers (an election after a node was lost) is tried again",
			file:  "store/kvstore/retry.go",
			old:   "v, err := op(actx)\n\t\tcancel()\n\t\tif !transient(ctx, err) {",
			new:   "v, err := op(actx)\n\t\tcancel()\n\t\tif true {",
			tests: []string{"cluster:TestClusterLosesANode"},
		},
		{
			name:  "in cluster mode a node resumes only the jobs it started",
			file:  "cluster_serve.go",
			old:   "return j.Node != n.node",
			new:   "return false",
			tests: []string{".:TestNodeJobsResumesOwnOnly"},
		},
		{
			name:  "cluster mode requires S3 storage",
			file:  "cluster_config.go",
			old:   `if c.Storage.Kind != "s3" {`,
			new:   "if false {",
			tests: []string{".:TestClusterConfig"},
		},
	}...)
}
