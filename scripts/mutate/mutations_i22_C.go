package main

// Issue 22, slice C: remote models, the real-time cache, labels and authentication
// throttling.
func init() {
	mutations = append(mutations, []mutation{
		{
			name:  "the real-time cache is looked up per account",
			file:  "server/realtime.go",
			old:   "s.results.Get(resultKey(acct, canon, t))",
			new:   `s.results.Get(resultKey("", canon, t))`,
			tests: []string{"server:TestCachePerAccount"},
		},
		{
			name:  "the model client does not follow redirects",
			file:  "classify/openai/client.go",
			old:   "http: &http.Client{Timeout: cfg.Timeout, CheckRedirect: noRedirects},",
			new:   "http: &http.Client{Timeout: cfg.Timeout},",
			tests: []string{"classify/openai:TestRemoteFailureKinds"},
		},
		{
			name:  "a model server's 401 does not show the tenants its words (which may quote the key)",
			file:  "classify/openai/client.go",
			old:   `"the model server refused the appliance's credentials: check the model's api_key_env")`,
			new:   `"the model server refused the appliance's credentials: %s", msg)`,
			tests: []string{"classify/openai:TestRemoteFailureKinds", "server:TestRemoteModelFailures"},
		},
		{
			name:  "a model server that gave no answer is described without its URL",
			file:  "classify/openai/client.go",
			old:   `return 0, fail(kind, 0, err, "%s", msg)`,
			new:   `return 0, fail(kind, 0, err, "%s: %v", msg, err)`,
			tests: []string{"classify/openai:TestRemoteFailureKinds", "server:TestRemoteModelFailures"},
		},
		{
			name:  "a remote model's deadline is a timeout, not a bare context error (a 500)",
			file:  "classify/openai/client.go",
			old:   "if errors.Is(ctx.Err(), context.DeadlineExceeded) {",
			new:   "if false {",
			tests: []string{"classify/openai:TestRemoteCompileDeadline", ".:TestConfiguredModelStalls"},
		},
		{
			name:  "a model server that does not answer in time is a 504",
			file:  "server/errors.go",
			old:   "case classify.RemoteTimeout:",
			new:   `case "":`,
			tests: []string{"server:TestRemoteModelFailures"},
		},
		{
			name:  "a model server that cannot be reached is a 503",
			file:  "server/errors.go",
			old:   "case classify.RemoteUnreachable, classify.RemoteOverloaded:",
			new:   "case classify.RemoteOverloaded:",
			tests: []string{"server:TestRemoteModelFailures"},
		},
		{
			name:  "labels with control characters are refused",
			file:  "classify/normalize.go",
			old:   `if at, r, ok := hiddenRune(l); ok {`,
			new:   `if at, r, ok := hiddenRune(l); ok && r > unicode.MaxRune {`,
			tests: []string{"classify:TestNormalizeRefusesHiddenCharacters", "server:TestLabelsRefused"},
		},
		{
			name:  "bidi overrides and isolates are refused in labels",
			file:  "classify/normalize.go",
			old:   `r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' {`,
			new:   `r < 0 {`,
			tests: []string{"classify:TestNormalizeRefusesHiddenCharacters", "server:TestLabelsRefused"},
		},
		{
			name:  "labels that differ only by case are refused",
			file:  "classify/normalize.go",
			old:   "if j, dup := folded[strings.ToLower(l)]; dup {",
			new:   "if j, dup := folded[l]; dup {",
			tests: []string{"classify:TestNormalizeRefusesHiddenCharacters", "server:TestLabelsRefused"},
		},
		{
			name:  "an address over the failed-authentication limit is refused before its key is checked",
			file:  "server/middleware.go",
			old:   "if st, over := s.authFails.exceeded(addr, now); over {",
			new:   "if st, over := s.authFails.exceeded(addr, now); over && st.reset.IsZero() {",
			tests: []string{"server:TestAuthFailuresThrottled"},
		},
		{
			name:  "an invalid key counts as a failed authentication",
			file:  "server/middleware.go",
			old:   "\t\t\t\ts.authFailed(c, addr, now)\n\t\t\t\treturn unauthorized(\"invalid API key\")",
			new:   "\t\t\t\t_ = addr\n\t\t\t\treturn unauthorized(\"invalid API key\")",
			tests: []string{"server:TestAuthFailuresThrottled"},
		},
		{
			name:  "the failed-authentication table is bounded",
			file:  "server/ratelimit.go",
			old:   "if w == nil && l.maxIDs > 0 && len(l.windows) >= l.maxIDs {",
			new:   "if false {",
			tests: []string{"server:TestAuthLimiterBounded"},
		},
		{
			name:  "an IPv6 client's failed authentications are counted by its /64",
			file:  "server/ratelimit.go",
			old:   "return netip.PrefixFrom(a, 64).Masked().String()",
			new:   "return a.String()",
			tests: []string{"server:TestAuthLimiterBounded"},
		},
	}...)
}
