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
		{
			name:  "healthcheck --url takes the appliance's /healthz or /readyz as given",
			file:  "healthcheck_cmd.go",
			old:   "if !strings.HasSuffix(u.Path, \"/healthz\") && !strings.HasSuffix(u.Path, \"/readyz\") {",
			new:   "if true {",
			tests: []string{".:TestHealthcheckURL"},
		},
		{
			name:  "a healthcheck answered 404 says what --url wants",
			file:  "healthcheck_cmd.go",
			old:   "if resp.StatusCode == http.StatusNotFound {",
			new:   "if false {",
			tests: []string{".:TestHealthcheckURL"},
		},
		{
			name:  "healthcheck --self-signed trusts the data dir's self-signed certificate",
			file:  "healthcheck_cmd.go",
			old:   "cfg.TLS.SelfSigned = true",
			new:   "cfg.TLS.SelfSigned = false",
			tests: []string{".:TestHealthcheckTLSFlags"},
		},
		{
			name:  "healthcheck --cert trusts exactly the certificate given",
			file:  "healthcheck_cmd.go",
			old:   "\tcase *certFile != \"\":",
			new:   "\tcase false:",
			tests: []string{".:TestHealthcheckTLSFlags", ".:TestTLSCertFiles"},
		},
		{
			name:  "healthcheck --insecure skips the certificate check",
			file:  "healthcheck_cmd.go",
			old:   "\tcase *insecure:",
			new:   "\tcase false:",
			tests: []string{".:TestHealthcheckTLSFlags"},
		},
		{
			name:  "healthcheck refuses --insecure with --cert",
			file:  "healthcheck_cmd.go",
			old:   "if *insecure && *certFile != \"\" {",
			new:   "if false {",
			tests: []string{".:TestHealthcheckTLSFlags"},
		},
		{
			name:  "restore --help lists only restore's flags",
			file:  "restore_cmd.go",
			old:   "fs := configFlags(\"restore\")",
			new:   "fs := serveFlags(\"restore\")",
			tests: []string{".:TestCommandFlags"},
		},
		{
			name:  "a restore run as root gives the database the owner of the one it replaces",
			file:  "store/backup.go",
			old:   "owner := path",
			new:   "owner := backup",
			tests: []string{"store:TestRestoreKeepsTheOwner"},
		},
		{
			name:  "a restore run as root gives the database an owner other than root",
			file:  "store/owner_unix.go",
			old:   "if os.Geteuid() != 0 {",
			new:   "if true {",
			tests: []string{"store:TestRestoreKeepsTheOwner"},
		},
	}...)
}
