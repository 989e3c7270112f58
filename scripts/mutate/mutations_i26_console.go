package main

// Issue 26 item 4: the admin overview.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "every account's jobs are for admin keys only",
			file:  "server/routes.go",
			old:   `{http.MethodGet, "/v1/admin/jobs", s.handleAdminJobs, true, true},`,
			new:   `{http.MethodGet, "/v1/admin/jobs", s.handleAdminJobs, true, false},`,
			tests: []string{"server:TestAdminJobs"},
		},
		{
			name:  "the admin jobs list is newest first across accounts",
			file:  "store/admin.go",
			old:   "cmp.Compare(b.created, a.created)",
			new:   "cmp.Compare(a.created, b.created)",
			tests: []string{"server:TestAdminJobs"},
		},
		{
			name:  "a started job no runner works on is queued, not active",
			file:  "server/admin.go",
			old:   "v.Queue.Active = min(r.Running(), processing)",
			new:   "v.Queue.Active = max(r.Running(), processing)",
			tests: []string{"server:TestAdminSystem"},
		},
	}...)
}
