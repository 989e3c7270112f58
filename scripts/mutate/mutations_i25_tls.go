package main

func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "cluster routes use TLS, verified against cluster.tls_ca",
			file:  "cluster/node.go",
			old:   "opts.Cluster.TLSConfig = rc",
			new:   "_ = rc",
			tests: []string{"cluster:TestClusterTLS"},
		},
		{
			name:  "cluster.tls_* files are checked when cluster mode is on",
			file:  "cluster_config.go",
			old:   "errs = append(errs, checkClusterTLS(cl)...)",
			new:   "_ = checkClusterTLS",
			tests: []string{".:TestClusterConfigTLS"},
		},
	}...)
}
