package server

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRequestRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{RateLimitRequests: 3}})
	// Start on a fresh minute so the window cannot roll over mid-test.
	e.clock.Add(time.Minute - time.Duration(e.clock.Now().Second())*time.Second - time.Duration(e.clock.Now().Nanosecond()) + time.Second)
	reset := strconv.FormatInt(e.clock.Now().Truncate(time.Minute).Add(time.Minute).Unix(), 10)
	for i := 1; i <= 3; i++ {
		r := e.call(t, "GET", "/v1/batch", e.keyA, "")
		if r.status != 200 || r.header.Get("X-RateLimit-Limit") != "3" || r.header.Get("X-RateLimit-Remaining") != fmt.Sprint(3-i) ||
			r.header.Get("X-RateLimit-Reset") != reset {
			t.Fatalf("request %d: %d %v", i, r.status, r.header)
		}
	}
	r := e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"x",`+spec3+`}`)
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED", "")
	if d, _ := r.body["details"].(map[string]any); d["limit"] != "requests" {
		t.Fatalf("details: %s", r.raw)
	}
	if r.header.Get("X-RateLimit-Remaining") != "0" || r.header.Get("Retry-After") != "59" {
		t.Fatalf("429 headers: %v", r.header)
	}
	// Per key: another key is untouched; unauthenticated routes carry no limit.
	if r := e.call(t, "GET", "/v1/batch", e.keyB, ""); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "2" {
		t.Fatalf("other key: %d %v", r.status, r.header)
	}
	if r := e.call(t, "GET", "/healthz", "", ""); r.status != 200 || r.header.Get("X-RateLimit-Limit") != "" {
		t.Fatalf("healthz: %d %v", r.status, r.header)
	}
	// The next minute starts a new window.
	e.clock.Add(time.Minute)
	if r := e.call(t, "GET", "/v1/batch", e.keyA, ""); r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "2" {
		t.Fatalf("next window: %d %v", r.status, r.header)
	}
}

func TestTokenRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{RateLimitTokens: 5}})
	e.clock.Add(time.Minute - time.Duration(e.clock.Now().Second())*time.Second + time.Second)
	body := `{"text":"my card was charged twice this month",` + spec3 + `}` // more than 5 tokens
	r := e.call(t, "POST", "/v1/classify", e.keyA, body)
	used, _ := strconv.Atoi(r.header.Get("X-Tokens-Used"))
	if r.status != 200 || used <= 5 || r.header.Get("X-RateLimit-Limit-Tokens") != "5" || r.header.Get("X-RateLimit-Remaining-Tokens") != "0" {
		t.Fatalf("first call: %d %v", r.status, r.header)
	}
	if r.header.Get("X-RateLimit-Limit") != "" {
		t.Fatal("request-limit headers without a request limit")
	}
	r = e.call(t, "POST", "/v1/tag/batch", e.keyA, `{"texts":["a"],`+spec3+`}`)
	wantError(t, r, http.StatusTooManyRequests, "RATE_LIMITED", "")
	if d, _ := r.body["details"].(map[string]any); d["limit"] != "tokens" || r.header.Get("Retry-After") == "" {
		t.Fatalf("token 429: %s %v", r.raw, r.header)
	}
	// Other endpoints are not token-limited; other keys have their own tokens.
	if r := e.call(t, "GET", "/v1/batch", e.keyA, ""); r.status != 200 {
		t.Fatalf("list jobs: %d", r.status)
	}
	if r := e.call(t, "POST", "/v1/classify", e.keyB, body); r.status != 200 {
		t.Fatalf("other key: %d %s", r.status, r.raw)
	}
	e.clock.Add(time.Minute)
	if r := e.call(t, "POST", "/v1/classify", e.keyA, body); r.status != 200 {
		t.Fatalf("next window: %d %s", r.status, r.raw)
	}
}

func TestLimiterForgetsIdleKeys(t *testing.T) {
	l := newLimiter(10, 0)
	t0 := time.Date(2025, 1, 1, 10, 0, 0, 0, time.UTC)
	for i := range 100 {
		l.request(fmt.Sprint("key", i), t0)
	}
	l.request("key0", t0.Add(2*time.Minute))
	if n := len(l.windows); n != 1 {
		t.Fatalf("%d windows kept, want 1", n)
	}
}

func TestMetrics(t *testing.T) {
	e := newEnv(t, envOptions{})
	e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"I was charged twice",`+spec3+`}`)
	e.call(t, "GET", "/v1/batch/batch_0000000000000000", e.keyA, "")
	created := e.createJob(t, e.keyA, `{`+spec3+`}`)
	e.upload(t, created, jobInput, nil)
	e.call(t, "POST", "/v1/batch/"+created.str("job_id")+"/start", e.keyA, "")
	e.waitStatus(t, e.keyA, created.str("job_id"), "completed")
	e.createJob(t, e.keyA, `{`+spec3+`}`) // one pending

	r := e.call(t, "GET", "/metrics", "", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %v", r.status, r.header)
	}
	text := string(r.raw)
	for _, want := range []string{
		`classer_http_requests_total{method="POST",route="/v1/classify",status="200"} 1`,
		`classer_http_requests_total{method="GET",route="/v1/batch/:id",status="404"} 1`,
		`classer_http_request_duration_seconds_bucket{method="POST",route="/v1/classify",le="+Inf"} 1`,
		`classer_jobs{status="completed"} 1`,
		`classer_jobs{status="pending"} 1`,
		`classer_jobs{status="processing"} 0`,
		`classer_batch_lines_total{result="completed"} 3`,
		`classer_batch_lines_total{result="failed"} 1`,
		`classer_realtime_texts_total 1`,
		fmt.Sprintf(`classer_upload_bytes_total %d`, len(jobInput)),
		"go_goroutines ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if !regexp.MustCompile(`(?m)^classer_batch_tokens_total [1-9]`).MatchString(text) ||
		!regexp.MustCompile(`(?m)^classer_realtime_tokens_total [1-9]`).MatchString(text) {
		t.Errorf("token counters missing or zero:\n%s", grepLines(text, "tokens_total"))
	}
	if strings.Contains(text, "acme") || strings.Contains(text, e.keyA) {
		t.Error("metrics name an account or a key")
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
