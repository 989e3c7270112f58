package main

// Issue 22, slice D: restores, the systemd unit, the command line.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "a restore never overwrites the database an earlier restore kept (same second)",
			file:  "store/backup.go",
			old:   "switch err := os.Link(path, name); {",
			new:   "switch err := os.Rename(path, name); {",
			tests: []string{"store:TestRestoreTwiceInOneSecond"},
		},
	}...)
}
