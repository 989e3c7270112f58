package main

// Issue 25, operating a cluster: moving a single node into a cluster (restore --to-cluster).
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "restore --to-cluster refuses a cluster that already holds jobs, classifiers or usage, unless --force",
			file:  "restore_cluster.go",
			old:   "if !have.Empty() && !force {",
			new:   "if false {",
			tests: []string{".:TestRestoreToCluster"},
		},
		{
			name:  "restore --to-cluster checks that every completed job's results are in the bucket before it writes a record",
			file:  "restore_cluster.go",
			old:   "if j == nil || j.Status != batch.StatusCompleted {",
			new:   "if true {",
			tests: []string{".:TestRestoreToCluster"},
		},
		{
			name:  "a restored key keeps the single node's record (a configured key with the same secret is replaced, not doubled)",
			file:  "store/kvstore/import.go",
			old:   "*have = rec",
			new:   "d.Keys = append(d.Keys, rec)",
			tests: []string{".:TestRestoreToCluster"},
		},
		{
			name:  "restore --to-cluster refuses a backup with a job that was processing",
			file:  "restore_cluster.go",
			old:   "if n := sum.Jobs[batch.StatusProcessing]; n > 0 {",
			new:   "if n := 0; n > 0 {",
			tests: []string{".:TestRestoreToClusterRefuses"},
		},
		{
			name:  "the System page shows the cluster's processes (GET /v1/cluster) in cluster mode",
			file:  "web/static/cluster.js",
			old:   "el.hidden = false;",
			new:   "el.hidden = true;",
			tests: []string{".:TestBrowserCluster"},
		},
		{
			name:  "an imported classifier keeps its sequence, so no version number is given twice",
			file:  "store/kvstore/import.go",
			old:   "return s.importSeq(ctx, *rec.ClassifierSeq)",
			new:   "return nil",
			tests: []string{"store/kvstore:TestImport"},
		},
		{
			name:  "an import with overwrite (restore --force) replaces the records already there",
			file:  "store/kvstore/import.go",
			old:   "_, err = s.kv.Put(ctx, key, b)",
			new:   "_, err = s.kv.Create(ctx, key, b)",
			tests: []string{"store/kvstore:TestImport", ".:TestRestoreToCluster"},
		},
	}...)
}
