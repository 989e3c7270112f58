package main

// Issue 25, the last cluster gaps: every account's jobs and backups in cluster mode.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a cluster's backup sums the completed jobs' usage into each day",
			file:  "store/kvstore/backup.go",
			old:   "range []string{pUsage, pUsageJob}",
			new:   "range []string{pUsage}",
			tests: []string{"store/kvstore:TestBackup"},
		},
		{
			name:  "a backup written from records indexes each key by its hash (so it authenticates)",
			file:  "store/backup_write.go",
			old:   "return tx.Bucket([]byte(bucketKeyHashes)).Put(sum, []byte(r.Key.ID))",
			new:   "return nil",
			tests: []string{"store/kvstore:TestBackup"},
		},
		{
			name:  "the cluster's list of every account's jobs is newest first",
			file:  "store/kvstore/kvstore.go",
			old:   "entries = append(entries, indexEntry{createdHex(j.CreatedAt), j.ID})",
			new:   "entries = append(entries, indexEntry{\"\", j.ID})",
			tests: []string{"store/kvstore:TestSuiteSingleNode"},
		},
	}...)
}
