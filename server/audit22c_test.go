package server

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/classify/modeltest"
	"github.com/classer-ai/classer-batch/classify/openai"
)

// TestCachePerAccount: the real-time cache is kept per account, so an answer's "cached"
// flag never tells one account what another has classified (issue 22, finding 4).
func TestCachePerAccount(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, path := range []string{"/v1/classify", "/v1/classify/batch"} {
		body := `{"text":"my parcel never arrived at the door",` + spec3 + `}`
		cached := func(r response) any { return r.body["cached"] }
		if path == "/v1/classify/batch" {
			body = `{"texts":["the refund for my order is late"],` + spec3 + `}`
			cached = func(r response) any {
				res, _ := r.body["results"].([]any)
				if len(res) != 1 {
					return nil
				}
				item, _ := res[0].(map[string]any)
				return item["cached"]
			}
		}
		a := e.call(t, "POST", path, e.keyA, body)
		if a.status != 200 || cached(a) != false {
			t.Fatalf("%s: account A's first call: %d %s", path, a.status, a.raw)
		}
		b := e.call(t, "POST", path, e.keyB, body)
		if b.status != 200 || cached(b) != false {
			t.Fatalf("%s: account B was answered from account A's cache: %s", path, b.raw)
		}
		if again := e.call(t, "POST", path, e.keyB, body); cached(again) != true {
			t.Fatalf("%s: account B's own repeat: %s", path, again.raw)
		}
		if again := e.call(t, "POST", path, e.keyA, body); cached(again) != true {
			t.Fatalf("%s: account A's own repeat: %s", path, again.raw)
		}
	}
}

// The secrets of the configured models' URLs and keys, which no answer may show.
const (
	modelUser     = "operator"
	modelPassword = "hunter2-s3cret"
	modelAPIKey   = "sk-live-abcdef0123456789"
)

// failingModelsEnv is an appliance whose configured models are openai-embeddings models,
// one on each of modeltest.FailingServers (named e-refused, e-silent, ...), with
// credentials in their URLs and an API key, a 300 ms timeout and no retries.
func failingModelsEnv(t *testing.T) *testEnv {
	t.Helper()
	hold := make(chan struct{})
	fs, err := modeltest.NewFailingServers(hold)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run last-in first-out: the appliance stops, then hold opens, then the servers.
	t.Cleanup(fs.Close)
	t.Cleanup(func() { close(hold) })
	return newEnv(t, envOptions{models: func(b *classify.WordClassifier) classify.Classifier {
		ms := classify.NewModels(classify.KindBuiltin)
		ms.Add(classify.KindBuiltin, classify.KindBuiltin, b, nil)
		for name, u := range fs.URLs {
			cfg := openai.Config{Name: "e-" + name, URL: modeltest.WithUserinfo(u, modelUser, modelPassword),
				Model: "m", APIKey: modelAPIKey, Timeout: 300 * time.Millisecond, Retries: -1, Backoff: time.Millisecond}
			ms.Add(cfg.Name, classify.KindOpenAIEmbeddings, openai.NewEmbeddings(cfg, b.WordModel()), nil)
		}
		return ms
	}})
}

// modelLeak says which secret of the models' configuration s shows, if any.
func modelLeak(s string) string {
	for _, secret := range []string{modelUser, modelPassword, modelAPIKey, "127.0.0.1", "http://"} {
		if strings.Contains(s, secret) {
			return secret
		}
	}
	return ""
}

// TestRemoteModelFailures: a model server that refuses connections is a 503, one that
// does not answer within the model's timeout a 504, one that fails (a 500, a malformed
// answer, a 401, a redirect) a 502; the message names the model and never its URL, the
// URL's credentials or the API key, on /v1/classify, on /v1/models and in a job's error
// (issue 22, findings 6 and 15).
func TestRemoteModelFailures(t *testing.T) {
	e := failingModelsEnv(t)
	for name, want := range map[string]struct {
		status int
		code   string
	}{
		"refused": {503, "MODEL_UNAVAILABLE"}, "silent": {504, "MODEL_TIMEOUT"}, "failing": {502, "MODEL_ERROR"},
		"malformed": {502, "MODEL_ERROR"}, "keyecho": {502, "MODEL_ERROR"}, "redirect": {502, "MODEL_ERROR"},
	} {
		r := e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"where is my refund","model":"e-`+name+`",`+spec3+`}`)
		if r.status != want.status || r.str("code") != want.code || !strings.HasPrefix(r.str("message"), "model e-"+name+": ") {
			t.Errorf("/v1/classify with model e-%s: %d %s, want %d %s naming the model", name, r.status, r.raw, want.status, want.code)
		}
		if s := modelLeak(string(r.raw)); s != "" {
			t.Errorf("/v1/classify with model e-%s shows %q: %s", name, s, r.raw)
		}
	}

	r := e.call(t, "GET", "/v1/models", e.keyA, "")
	if r.status != 200 {
		t.Fatalf("/v1/models: %d %s", r.status, r.raw)
	}
	if s := modelLeak(string(r.raw)); s != "" {
		t.Errorf("/v1/models shows %q: %s", s, r.raw)
	}
	models, _ := r.body["models"].([]any)
	for _, m := range models {
		mi, _ := m.(map[string]any)
		name, _ := mi["name"].(string)
		if name == classify.KindBuiltin {
			continue
		}
		if msg, _ := mi["error"].(string); mi["ready"] != false || !strings.HasPrefix(msg, "model "+name+": ") {
			t.Errorf("/v1/models: %v, want not ready with an error naming the model", mi)
		}
	}

	job := e.createJob(t, e.keyA, `{"model":"e-failing",`+spec3+`}`)
	if up := e.upload(t, job, `{"text":"where is my refund"}`+"\n", nil); up.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", up.status, up.raw)
	}
	id := job.str("job_id")
	if st := e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, ""); st.status != http.StatusAccepted {
		t.Fatalf("start: %d %s", st.status, st.raw)
	}
	v := e.waitStatus(t, e.keyA, id, "failed", "completed")
	if msg := v.str("error"); v.str("status") != "failed" || !strings.Contains(msg, "model e-failing: HTTP 500") || modelLeak(msg) != "" {
		t.Fatalf("a job whose model server fails: %s", v.raw)
	}
}

// TestLabelsRefused: labels with control characters or bidi overrides, and labels that
// differ only by case, are a 422 naming the field, the index and the character, on the
// real-time and batch endpoints (issue 22, findings 11 and 14).
func TestLabelsRefused(t *testing.T) {
	e := newEnv(t, envOptions{})
	for _, tc := range []struct{ labels, want string }{
		{`["refund","\u202Etxet"]`, "labels[1] contains U+202E"},
		{`["a\u0000b","c"]`, "labels[0] contains U+0000"},
		{`["ok","\u001b[2Jwiped"]`, "labels[1] contains U+001B"},
		{`["billing","sales","Billing"]`, `labels[0] "billing" and labels[2] "Billing" differ only by case`},
	} {
		for _, path := range []string{"/v1/classify", "/v1/batch"} {
			r := e.call(t, "POST", path, e.keyA, `{"text":"hello","labels":`+tc.labels+`}`)
			if path == "/v1/batch" {
				r = e.call(t, "POST", path, e.keyA, `{"labels":`+tc.labels+`}`)
			}
			wantError(t, r, http.StatusUnprocessableEntity, "VALIDATION_ERROR", "labels")
			if !strings.Contains(r.str("message"), tc.want) {
				t.Errorf("%s %s: message %q, want it to say %q", path, tc.labels, r.str("message"), tc.want)
			}
		}
	}
	// Free text keeps its characters: real descriptions and examples carry them.
	d := e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"hello","labels":["a","b"],"descriptions":{"a":"x\u2066y\u0093"}}`)
	if d.status != http.StatusOK {
		t.Errorf("a description with an isolate and a C1 character: status %d, want 200; body %s", d.status, d.raw)
	}
}

// TestAuthFailuresThrottled: from maxAuthFailures failed authentications in a minute, an
// address is answered 429 with Retry-After on every route that needs a key, whatever key
// it sends, until the minute ends; another address is not affected, and neither successful
// authentications nor requests without a key count (issue 22, finding 11).
func TestAuthFailuresThrottled(t *testing.T) {
	e := newEnv(t, envOptions{})
	// Whole minutes: the window the test fills is the one the clock stays in.
	e.clock.Add(e.clock.Now().Truncate(time.Minute).Add(time.Minute).Sub(e.clock.Now()))
	for range 2 * maxAuthFailures {
		if r := e.call(t, "GET", "/v1/batch", e.keyA, ""); r.status != 200 {
			t.Fatalf("a valid key: %d %s", r.status, r.raw)
		}
		if r := e.call(t, "GET", "/v1/batch", "", ""); r.status != 401 {
			t.Fatalf("no key: %d %s", r.status, r.raw)
		}
	}
	for i := range maxAuthFailures {
		key := "sk-guess-" + strconv.Itoa(i)
		if i%2 == 1 {
			key = "" // a malformed header counts too
		}
		req, _ := http.NewRequest("GET", e.url+"/v1/batch", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		if i%2 == 1 {
			req.Header.Set("Authorization", "Basic Zm9vOmJhcg==")
		}
		if r := e.do(t, req); r.status != 401 {
			t.Fatalf("failure %d: %d %s, want 401", i+1, r.status, r.raw)
		}
	}
	for _, key := range []string{"sk-one-more-guess", e.keyA} {
		r := e.call(t, "POST", "/v1/classify", key, `{"text":"hello",`+spec3+`}`)
		wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED", "")
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
			t.Fatalf("Retry-After %q, want the seconds left in the minute", r.header.Get("Retry-After"))
		}
	}
	if !strings.Contains(e.logs.String(), "too many failed authentications") {
		t.Error("the throttled address was not logged for the operator")
	}

	// Another address (loopback's 127.0.0.2) still authenticates and fails as before.
	other := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}).DialContext}}
	defer other.CloseIdleConnections()
	for key, want := range map[string]int{e.keyB: 200, "sk-wrong": 401} {
		req, _ := http.NewRequest("GET", e.url+"/v1/batch", nil)
		req.Header.Set("Authorization", "Bearer "+key)
		res, err := other.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("from 127.0.0.2 with key %s: %d, want %d", key[:5], res.StatusCode, want)
		}
	}

	// The next minute starts afresh.
	e.clock.Add(time.Minute)
	if r := e.call(t, "GET", "/v1/batch", e.keyA, ""); r.status != 200 {
		t.Fatalf("the next minute, a valid key: %d %s", r.status, r.raw)
	}
	if r := e.call(t, "GET", "/v1/batch", "sk-wrong", ""); r.status != 401 {
		t.Fatalf("the next minute, a wrong key: %d %s", r.status, r.raw)
	}
}

// TestAuthLimiterBounded: the failed-authentication table holds at most maxAuthClients
// addresses however many fail, forgets them when the window ends, and counts an IPv6
// client by its /64.
func TestAuthLimiterBounded(t *testing.T) {
	l := newAuthLimiter()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 * maxAuthClients {
		l.request(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String(), now)
	}
	if n := l.size(); n > maxAuthClients {
		t.Fatalf("%d addresses held, want at most %d", n, maxAuthClients)
	}
	l.request("192.0.2.1", now.Add(time.Minute))
	if n := l.size(); n != 1 {
		t.Fatalf("%d addresses held after the window ended, want 1", n)
	}
	addr := func(remote string) string { return clientAddr(&http.Request{RemoteAddr: remote}) }
	if a, b := addr("[2001:db8:1:2:aaaa::1]:5000"), addr("[2001:db8:1:2:bbbb::9]:6000"); a != b || a != "2001:db8:1:2::/64" {
		t.Errorf("one /64: %q and %q", a, b)
	}
	if a := addr("[::ffff:192.0.2.7]:80"); a != "192.0.2.7" {
		t.Errorf("an IPv4-mapped address: %q", a)
	}
	if a := addr("198.51.100.4:443"); a != "198.51.100.4" {
		t.Errorf("IPv4: %q", a)
	}
}
