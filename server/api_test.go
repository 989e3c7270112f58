package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

const spec3 = `"labels":["billing","shipping","technical support"]`

func TestHealthAndWeb(t *testing.T) {
	e := newEnv(t, envOptions{})
	if r := e.call(t, http.MethodGet, "/healthz", "", ""); r.status != 200 || r.str("status") != "ok" {
		t.Fatalf("healthz: %d %s", r.status, r.raw)
	}
	if r := e.call(t, http.MethodGet, "/readyz", "", ""); r.status != 200 || r.str("status") != "ready" {
		t.Fatalf("readyz: %d %s", r.status, r.raw)
	}
	r := e.call(t, http.MethodGet, "/", "", "")
	if r.status != 200 || !strings.Contains(string(r.raw), "classer-batch") || !strings.Contains(string(r.raw), "/v1/batch") {
		t.Fatalf("GET /: %d %.200s", r.status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET / Content-Type = %q", ct)
	}

	// A closed database makes the appliance not ready; the body names the check only.
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	r = e.call(t, http.MethodGet, "/readyz", "", "")
	wantError(t, r, http.StatusServiceUnavailable, "NOT_READY", "")
	if d, _ := r.body["details"].(map[string]any); d["check"] != "store" {
		t.Fatalf("readyz details = %v, want check store", r.body["details"])
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t, envOptions{})
	revoked, k, err := e.db.CreateKey(context.Background(), "acme", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.RevokeKey(context.Background(), k.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		header string
	}{
		{"missing", ""},
		{"wrong scheme", "Basic " + e.keyA},
		{"empty bearer", "Bearer "},
		{"bearer only", "Bearer"},
		{"unknown key", "Bearer sk-notarealkey000000000000000000000"},
		{"revoked key", "Bearer " + revoked},
	}
	for _, path := range []string{"/v1/batch", "/v1/batch/batch_0000000000000000"} {
		for _, tc := range tests {
			t.Run(tc.name+path, func(t *testing.T) {
				req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
				if tc.header != "" {
					req.Header.Set("Authorization", tc.header)
				}
				r := e.do(t, req)
				wantError(t, r, http.StatusUnauthorized, "INVALID_API_KEY", "")
				if r.str("error") != "invalid-api-key" {
					t.Fatalf("error = %q", r.str("error"))
				}
				if r.header.Get("WWW-Authenticate") == "" {
					t.Fatal("401 without WWW-Authenticate")
				}
			})
		}
	}
	t.Run("valid, case-insensitive scheme", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.url+"/v1/batch", nil)
		req.Header.Set("Authorization", "bearer "+e.keyA)
		if r := e.do(t, req); r.status != http.StatusOK {
			t.Fatalf("status %d %s", r.status, r.raw)
		}
	})
	// The key secret never reaches the log.
	if logs := e.logs.String(); strings.Contains(logs, e.keyA) || strings.Contains(logs, revoked) {
		t.Fatal("an API key secret appears in the log")
	}
}

func TestRequestID(t *testing.T) {
	e := newEnv(t, envOptions{})
	generated := regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	tests := []struct {
		name, method, path, key, body, incoming string
		status                                  int
		wantEcho                                bool
	}{
		{"ok", "GET", "/healthz", "", "", "", 200, false},
		{"401", "GET", "/v1/batch", "", "", "", 401, false},
		{"404 route", "GET", "/nope", "", "", "", 404, false},
		{"405", "PUT", "/healthz", "", "", "", 405, false},
		{"400", "POST", "/v1/classify", "A", "{", "", 400, false},
		{"sane incoming kept", "GET", "/healthz", "", "", "req-42.a_b:c", 200, true},
		{"sane incoming kept on error", "GET", "/v1/batch", "", "", "trace-7", 401, true},
		{"odd incoming replaced", "GET", "/healthz", "", "", "bad id\twith spaces<script>", 200, false},
		{"overlong incoming replaced", "GET", "/healthz", "", "", strings.Repeat("a", 200), 200, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body *strings.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			} else {
				body = strings.NewReader("")
			}
			req, _ := http.NewRequest(tc.method, e.url+tc.path, body)
			if tc.key == "A" {
				req.Header.Set("Authorization", "Bearer "+e.keyA)
			}
			if tc.incoming != "" {
				req.Header.Set("X-Request-ID", tc.incoming)
			}
			r := e.do(t, req)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			got := r.header.Get("X-Request-ID")
			if tc.wantEcho {
				if got != tc.incoming {
					t.Fatalf("X-Request-ID = %q, want the incoming %q", got, tc.incoming)
				}
			} else if !generated.MatchString(got) {
				t.Fatalf("X-Request-ID = %q, want a generated id", got)
			}
			if tc.status >= 400 && tc.method != http.MethodHead && r.str("code") == "" {
				t.Fatalf("error without a body code: %s", r.raw)
			}
		})
	}
	// Requests are logged with their id, method, route and status.
	logs := e.logs.String()
	for _, want := range []string{"request_id=trace-7", "route=/v1/batch", "status=401", "method=GET"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

func TestRoutingErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	wantError(t, e.call(t, "GET", "/v2/nothing", "", ""), 404, "NOT_FOUND", "")
	wantError(t, e.call(t, "PATCH", "/v1/batch", e.keyA, ""), 405, "METHOD_NOT_ALLOWED", "")
	r := e.call(t, "GET", "/nothing", "", "")
	if r.str("error") != "not-found" {
		t.Fatalf("error = %q, want not-found", r.str("error"))
	}
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{MaxTextChars: 50}})
	big := `{"text":"` + strings.Repeat("a", 2<<20) + `",` + spec3 + `}`
	long := strings.Repeat("é", 51) // 51 runes, 102 bytes
	labels201 := make([]string, 201)
	for i := range labels201 {
		labels201[i] = fmt.Sprintf("l%d", i)
	}
	l201, _ := json.Marshal(labels201)
	tests := []struct {
		name, path, body string
		status           int
		code, field      string
		msgHas           string
	}{
		{"syntax error", "/v1/classify", `{"text": "x", ` + spec3 + `,}`, 400, "INVALID_JSON", "", "offset"},
		{"truncated", "/v1/classify", `{"text": "x", "labels":[`, 400, "INVALID_JSON", "", "unexpected end"},
		{"empty body", "/v1/classify", ``, 400, "INVALID_JSON", "", "empty"},
		{"not an object", "/v1/classify", `["a"]`, 400, "INVALID_JSON", "", "JSON object"},
		{"trailing data", "/v1/classify", `{"text":"x",` + spec3 + `} {"x":1}`, 400, "INVALID_JSON", "", "after the object"},
		{"labels wrong type", "/v1/classify", `{"text":"x","labels":"billing"}`, 400, "INVALID_JSON", "labels", `"labels"`},
		{"label item wrong type", "/v1/tag", `{"text":"x","labels":["a",2]}`, 400, "INVALID_JSON", "labels", `"labels"`},
		{"text wrong type", "/v1/classify", `{"text":5,` + spec3 + `}`, 400, "INVALID_JSON", "text", `"text"`},
		{"threshold wrong type", "/v1/batch", `{"threshold":"high",` + spec3 + `}`, 400, "INVALID_JSON", "threshold", `"threshold"`},
		{"texts wrong type", "/v1/classify/batch", `{"texts":"a",` + spec3 + `}`, 400, "INVALID_JSON", "texts", `"texts"`},
		{"cache wrong type", "/v1/classify", `{"text":"x","cache":"no",` + spec3 + `}`, 400, "INVALID_JSON", "cache", `"cache"`},
		{"number out of range", "/v1/batch", `{"threshold":1e999,` + spec3 + `}`, 400, "INVALID_JSON", "threshold", "1e999"},
		{"body too large", "/v1/classify", big, 413, "PAYLOAD_TOO_LARGE", "", "bytes"},

		{"no labels", "/v1/classify", `{"text":"x"}`, 422, "VALIDATION_ERROR", "labels", ""},
		{"empty labels", "/v1/batch", `{"labels":[]}`, 422, "VALIDATION_ERROR", "labels", ""},
		{"duplicate labels", "/v1/classify", `{"text":"x","labels":["a","b","a"]}`, 422, "VALIDATION_ERROR", "labels", "unique"},
		{"blank label", "/v1/batch", `{"labels":["a","  "]}`, 422, "VALIDATION_ERROR", "labels", ""},
		{"label too long", "/v1/batch", `{"labels":["` + strings.Repeat("x", 101) + `"]}`, 422, "VALIDATION_ERROR", "labels", ""},
		{"too many labels", "/v1/batch", `{"labels":` + string(l201) + `}`, 422, "VALIDATION_ERROR", "labels", ""},
		{"description of unknown label", "/v1/classify", `{"text":"x",` + spec3 + `,"descriptions":{"refunds":"money back"}}`, 422, "VALIDATION_ERROR", "descriptions", "refunds"},
		{"example of unknown label", "/v1/batch", `{` + spec3 + `,"examples":{"refunds":["money back"]}}`, 422, "VALIDATION_ERROR", "examples", ""},
		{"bad mode", "/v1/batch", `{` + spec3 + `,"mode":"many"}`, 422, "VALIDATION_ERROR", "mode", ""},
		{"threshold above 1", "/v1/tag", `{"text":"x",` + spec3 + `,"threshold":1.5}`, 422, "VALIDATION_ERROR", "threshold", ""},
		{"threshold below 0", "/v1/batch", `{` + spec3 + `,"mode":"multi","threshold":-0.1}`, 422, "VALIDATION_ERROR", "threshold", ""},
		{"text_type too long", "/v1/batch", `{` + spec3 + `,"source_type":"` + strings.Repeat("t", 1001) + `"}`, 422, "VALIDATION_ERROR", "text_type", ""},
		{"unknown classifier", "/v1/classify", `{"text":"x","classifier":"support@v2"}`, 422, "VALIDATION_ERROR", "classifier", `saved classifier "support@v2" not found`},
		{"labels and classifier", "/v1/batch", `{` + spec3 + `,"classifier":"support"}`, 422, "VALIDATION_ERROR", "classifier", "not both"},
		{"missing text", "/v1/classify", `{` + spec3 + `}`, 422, "VALIDATION_ERROR", "text", "empty"},
		{"blank text", "/v1/tag", `{"text":"  \n",` + spec3 + `}`, 422, "VALIDATION_ERROR", "text", "empty"},
		{"text too long", "/v1/classify", `{"text":"` + long + `",` + spec3 + `}`, 422, "VALIDATION_ERROR", "text", "50"},
		{"no texts", "/v1/classify/batch", `{"texts":[],` + spec3 + `}`, 422, "VALIDATION_ERROR", "texts", ""},
		{"too many texts", "/v1/tag/batch", `{"texts":` + manyTexts(1001) + `,` + spec3 + `}`, 422, "VALIDATION_ERROR", "texts", "1000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call(t, http.MethodPost, tc.path, e.keyA, tc.body)
			wantError(t, r, tc.status, tc.code, tc.field)
			if !strings.Contains(r.str("message"), tc.msgHas) {
				t.Fatalf("message %q lacks %q", r.str("message"), tc.msgHas)
			}
		})
	}

	t.Run("bad list limit", func(t *testing.T) {
		for _, q := range []string{"0", "abc", "101", "-1"} {
			wantError(t, e.call(t, "GET", "/v1/batch?limit="+q, e.keyA, ""), 422, "VALIDATION_ERROR", "limit")
		}
	})
	t.Run("unknown fields are refused naming them", func(t *testing.T) {
		for _, tc := range []struct{ path, body, field, guess string }{
			{"/v1/batch", `{"labelz":["a","b"]}`, "labelz", "labels"},
			{"/v1/classify", `{"text":"my invoice is wrong","metadata":{"a":"b"},` + spec3 + `}`, "metadata", ""},
			{"/v1/tag/batch", `{"texts":["x"],"treshold":0.4,` + spec3 + `}`, "treshold", "threshold"},
			{"/v1/classifiers", `{"name":"x","discriptions":{},` + spec3 + `}`, "discriptions", "descriptions"},
			{"/v1/preview", `{"texts":["x"],"text":"y",` + spec3 + `}`, "text", "texts"},
		} {
			r := e.call(t, "POST", tc.path, e.keyA, tc.body)
			wantError(t, r, 422, "VALIDATION_ERROR", tc.field)
			if msg := r.str("message"); !strings.Contains(msg, `unknown field "`+tc.field+`"`) ||
				(tc.guess != "" && !strings.Contains(msg, `did you mean "`+tc.guess+`"`)) {
				t.Errorf("%s: message %q; want it to name %q and suggest %q", tc.path, msg, tc.field, tc.guess)
			}
		}
	})
	t.Run("model is a known spec field", func(t *testing.T) {
		r := e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"my invoice is wrong","model":"builtin",`+spec3+`}`)
		if r.status != 200 {
			t.Fatalf("status %d %s", r.status, r.raw)
		}
	})
}

func manyTexts(n int) string {
	ts := make([]string, n)
	for i := range ts {
		ts[i] = fmt.Sprintf("text %d", i)
	}
	b, _ := json.Marshal(ts)
	return string(b)
}

// TestRequestLogLevels: a successful real-time call is logged at debug level (they come
// thousands a second), a failed one and any other API request at info or above.
func TestRequestLogLevels(t *testing.T) {
	e := newEnv(t, envOptions{})
	if r := e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"my invoice is wrong","labels":["billing","sales"]}`); r.status != 200 {
		t.Fatalf("classify: %d %s", r.status, r.raw)
	}
	e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"x","labels":[]}`)
	e.call(t, "GET", "/v1/batch", e.keyA, "")
	var classify200, classify4xx, list string
	for _, line := range strings.Split(e.logs.String(), "\n") {
		switch {
		case strings.Contains(line, "route=/v1/classify") && strings.Contains(line, "status=200"):
			classify200 = line
		case strings.Contains(line, "route=/v1/classify") && strings.Contains(line, "status=4"):
			classify4xx = line
		case strings.Contains(line, "route=/v1/batch ") && strings.Contains(line, "method=GET"):
			list = line
		}
	}
	if !strings.Contains(classify200, "level=DEBUG") {
		t.Errorf("successful classify logged as %q; want level=DEBUG", classify200)
	}
	if !strings.Contains(classify4xx, "level=INFO") {
		t.Errorf("failed classify logged as %q; want level=INFO", classify4xx)
	}
	if !strings.Contains(list, "level=INFO") {
		t.Errorf("job list logged as %q; want level=INFO", list)
	}
}
