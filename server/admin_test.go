package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

func (e *testEnv) adminKey(t *testing.T) string {
	t.Helper()
	k, _, err := e.db.CreateKey(context.Background(), "admin", true)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeysAPI(t *testing.T) {
	e := newEnv(t, envOptions{})
	admin := e.adminKey(t)

	// Only admin keys manage keys.
	wantError(t, e.call(t, "GET", "/v1/keys", e.keyA, ""), 403, "FORBIDDEN", "")
	wantError(t, e.call(t, "POST", "/v1/keys", e.keyA, `{"account":"acme","admin":true}`), 403, "FORBIDDEN", "")
	wantError(t, e.call(t, "DELETE", "/v1/keys/key_x", e.keyA, ""), 403, "FORBIDDEN", "")
	wantError(t, e.call(t, "GET", "/v1/keys", "", ""), 401, "INVALID_API_KEY", "")

	created := e.call(t, "POST", "/v1/keys", admin, `{"account":"initech"}`)
	secret, id := created.str("key"), created.str("id")
	if created.status != http.StatusCreated || !strings.HasPrefix(secret, "sk-") || created.str("account") != "initech" ||
		created.body["admin"] != false || created.body["revoked_at"] != nil || !strings.HasPrefix(secret, created.str("prefix")) {
		t.Fatalf("create: %d %s", created.status, created.raw)
	}
	if created.header.Get("Cache-Control") != "no-store" {
		t.Fatal("key creation response may be cached")
	}
	// The new key works at once, as its own account.
	if r := e.call(t, "POST", "/v1/classifiers", secret, `{"name":"mine","labels":["a","b"]}`); r.status != 201 {
		t.Fatalf("new key: %d %s", r.status, r.raw)
	}
	wantError(t, e.call(t, "GET", "/v1/classifiers/mine", e.keyA, ""), 404, "NOT_FOUND", "")
	wantError(t, e.call(t, "GET", "/v1/keys", secret, ""), 403, "FORBIDDEN", "")

	// The list never shows a secret or its hash.
	list := e.call(t, "GET", "/v1/keys", admin, "")
	if list.status != 200 || strings.Contains(string(list.raw), secret) || strings.Contains(string(list.raw), "hash") ||
		strings.Contains(string(list.raw), `"key":`) {
		t.Fatalf("list: %d %s", list.status, list.raw)
	}
	if n := len(list.body["data"].([]any)); n != 4 { // acme, globex, admin, initech
		t.Fatalf("list has %d keys: %s", n, list.raw)
	}
	only := e.call(t, "GET", "/v1/keys?account=initech", admin, "")
	if d := only.body["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != id {
		t.Fatalf("filtered list: %s", only.raw)
	}

	// Revoked: 401 at once; revoking again keeps the first time.
	rev := e.call(t, "DELETE", "/v1/keys/"+id, admin, "")
	if rev.status != 200 || rev.str("revoked_at") == "" {
		t.Fatalf("revoke: %d %s", rev.status, rev.raw)
	}
	wantError(t, e.call(t, "GET", "/v1/classifiers", secret, ""), 401, "INVALID_API_KEY", "")
	if again := e.call(t, "DELETE", "/v1/keys/"+id, admin, ""); again.str("revoked_at") != rev.str("revoked_at") {
		t.Fatalf("second revoke: %s", again.raw)
	}
	wantError(t, e.call(t, "DELETE", "/v1/keys/key_doesnotexist", admin, ""), 404, "NOT_FOUND", "")

	// An admin key made through the API can manage keys.
	a2 := e.call(t, "POST", "/v1/keys", admin, `{"account":"ops","admin":true}`)
	if r := e.call(t, "GET", "/v1/keys", a2.str("key"), ""); r.status != 200 {
		t.Fatalf("new admin key: %d %s", r.status, r.raw)
	}
	// One admin key may go while another remains; the last one may not.
	if r := e.call(t, "DELETE", "/v1/keys/"+a2.str("id"), admin, ""); r.status != 200 {
		t.Fatalf("revoking one of two admin keys: %d %s", r.status, r.raw)
	}
	var adminID string
	for _, k := range e.call(t, "GET", "/v1/keys?account=admin", admin, "").body["data"].([]any) {
		adminID, _ = k.(map[string]any)["id"].(string)
	}
	last := e.call(t, "DELETE", "/v1/keys/"+adminID, admin, "")
	wantError(t, last, 409, "CONFLICT", "")
	if !strings.Contains(last.str("message"), "last admin key") {
		t.Fatalf("revoking the last admin key: %s", last.raw)
	}
	for _, body := range []string{`{}`, `{"account":""}`, `{"account":"a b"}`, `{"account":"` + strings.Repeat("a", 65) + `"}`, `{"account":"x\u0000y"}`} {
		wantError(t, e.call(t, "POST", "/v1/keys", admin, body), 422, "VALIDATION_ERROR", "account")
	}
	if strings.Contains(e.logs.String(), secret) {
		t.Fatal("a created key's secret is in the log")
	}
}

// TestUsage: real-time calls and a finished job add up, per account, and cost follows the price.
func TestUsage(t *testing.T) {
	price := 2.5
	e := newEnv(t, envOptions{cfg: Config{PricePerMillionTokens: &price}})
	var rtTokens int64
	for i, body := range []string{
		`{"text":"I was charged twice",` + spec3 + `}`,
		`{"text":"I was charged twice",` + spec3 + `}`, // cached: still used
		`{"text":"where is my parcel, it is late",` + spec3 + `,"threshold":0.2}`,
	} {
		path := "/v1/classify"
		if i == 2 {
			path = "/v1/tag"
		}
		r := e.call(t, "POST", path, e.keyA, body)
		if r.status != 200 || r.header.Get("X-Tokens-Used") != fmt.Sprint(r.num("tokens")) {
			t.Fatalf("%s: %d %s X-Tokens-Used=%q", path, r.status, r.raw, r.header.Get("X-Tokens-Used"))
		}
		rtTokens += int64(r.num("tokens"))
	}
	r := e.call(t, "POST", "/v1/classify/batch", e.keyA, `{"texts":["refund me","","my app crashes"],`+spec3+`}`)
	if r.status != 200 || r.header.Get("X-Tokens-Used") != fmt.Sprint(r.num("total_tokens")) {
		t.Fatalf("classify/batch: %d %s", r.status, r.raw)
	}
	rtTokens += int64(r.num("total_tokens"))
	// A refused call is not usage.
	e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"",`+spec3+`}`)

	created := e.createJob(t, e.keyA, `{`+spec3+`}`)
	id := created.str("job_id")
	e.upload(t, created, jobInput, nil)
	e.call(t, "POST", "/v1/batch/"+id+"/start", e.keyA, "")
	job := e.waitStatus(t, e.keyA, id, "completed", "failed")
	if job.str("status") != "completed" {
		t.Fatalf("job: %s", job.raw)
	}
	jobTokens := int64(job.num("actual_tokens"))
	lines := int64(job.num("requests_completed") + job.num("requests_failed"))

	u := e.call(t, "GET", "/v1/usage", e.keyA, "")
	today := e.clock.Now().UTC().Format("2006-01-02")
	if u.status != 200 || u.str("to") != today || u.num("price_per_million_tokens") != price {
		t.Fatalf("usage: %d %s", u.status, u.raw)
	}
	data := u.body["data"].([]any)
	if len(data) != 1 {
		t.Fatalf("usage days: %s", u.raw)
	}
	day := data[0].(map[string]any)
	total := u.body["total"].(map[string]any)
	want := map[string]float64{
		"requests": 4, "realtime_tokens": float64(rtTokens), "batch_tokens": float64(jobTokens),
		"tokens": float64(rtTokens + jobTokens), "batch_lines": float64(lines), "jobs": 1,
		"cost": float64(rtTokens+jobTokens) * price / 1e6,
	}
	for k, v := range want {
		if k == "cost" {
			if d, tt := day[k].(float64), total[k].(float64); math.Abs(d-v) > 1e-9 || math.Abs(tt-v) > 1e-9 {
				t.Errorf("cost = %v / %v, want %v", d, tt, v)
			}
			continue
		}
		if day[k] != v || total[k] != v {
			t.Errorf("usage %s = %v (day) / %v (total), want %v: %s", k, day[k], total[k], v, u.raw)
		}
	}
	if day["date"] != today {
		t.Fatalf("date = %v, want %s", day["date"], today)
	}

	// Ranges, other accounts, admin access.
	if r := e.call(t, "GET", "/v1/usage?from=2000-01-01&to=2000-01-31", e.keyA, ""); len(r.body["data"].([]any)) != 0 {
		t.Fatalf("past range: %s", r.raw)
	}
	if r := e.call(t, "GET", "/v1/usage", e.keyB, ""); r.status != 200 || len(r.body["data"].([]any)) != 0 || r.body["total"].(map[string]any)["tokens"] != 0.0 {
		t.Fatalf("other account's usage: %s", r.raw)
	}
	wantError(t, e.call(t, "GET", "/v1/usage?account=acme", e.keyB, ""), 403, "FORBIDDEN", "")
	if r := e.call(t, "GET", "/v1/usage?account=acme", e.adminKey(t), ""); r.str("account") != "acme" || len(r.body["data"].([]any)) != 1 {
		t.Fatalf("admin reading acme: %s", r.raw)
	}
	for _, q := range []string{"from=2025-13-01", "to=yesterday", "from=2025-03-02&to=2025-03-01", "from=2020-01-01&to=2025-01-01"} {
		r := e.call(t, "GET", "/v1/usage?"+q, e.keyA, "")
		if r.status != 422 || r.str("code") != "VALIDATION_ERROR" {
			t.Fatalf("usage?%s: %d %s", q, r.status, r.raw)
		}
	}
	// The next day starts a new row.
	e.clock.Add(24 * time.Hour)
	e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"new day",`+spec3+`}`)
	if r := e.call(t, "GET", "/v1/usage", e.keyA, ""); len(r.body["data"].([]any)) != 2 {
		t.Fatalf("two days: %s", r.raw)
	}
}

// Price zero is allowed (usage is counted, cost is 0), and nil means the default.
func TestUsagePrice(t *testing.T) {
	zero := 0.0
	if s := New(Config{PricePerMillionTokens: &zero}, nil, nil, nil, nil, nil); s.price != 0 {
		t.Fatalf("price = %v", s.price)
	}
	if s := New(Config{}, nil, nil, nil, nil, nil); s.price != DefaultPricePerMillionTokens || s.cost(1_000_000) != 0.08 {
		t.Fatalf("default price = %v", s.price)
	}
}
