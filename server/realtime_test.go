package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	e := newEnv(t, envOptions{})
	body := `{"text":"I was charged twice on my credit card this month",` + spec3 + `}`
	first := e.call(t, "POST", "/v1/classify", e.keyA, body)
	if first.status != 200 {
		t.Fatalf("status %d %s", first.status, first.raw)
	}
	for _, k := range []string{"label", "confidence", "tokens", "latency_ms", "cached"} {
		if _, ok := first.body[k]; !ok {
			t.Fatalf("response lacks %q: %s", k, first.raw)
		}
	}
	if l := first.str("label"); l != "billing" && l != "shipping" && l != "technical support" {
		t.Fatalf("label %q is not one of the labels", l)
	}
	if c := first.num("confidence"); c < 0 || c > 1 {
		t.Fatalf("confidence %v outside 0..1", c)
	}
	if first.num("tokens") <= 0 {
		t.Fatalf("tokens = %v", first.body["tokens"])
	}
	if first.body["cached"] != false {
		t.Fatalf("first answer cached = %v", first.body["cached"])
	}

	second := e.call(t, "POST", "/v1/classify", e.keyA, body)
	if second.body["cached"] != true {
		t.Fatalf("repeat cached = %v, want true", second.body["cached"])
	}
	for _, k := range []string{"label", "confidence", "tokens"} {
		if first.body[k] != second.body[k] {
			t.Fatalf("cached %s = %v, first %v", k, second.body[k], first.body[k])
		}
	}

	// cache:false is answered afresh; the same text under another spec is not a hit.
	noCache := e.call(t, "POST", "/v1/classify", e.keyA, `{"cache":false,`+body[1:])
	if noCache.body["cached"] != false || noCache.str("label") != first.str("label") {
		t.Fatalf("cache:false answer %s", noCache.raw)
	}
	other := e.call(t, "POST", "/v1/classify", e.keyA,
		`{"text":"I was charged twice on my credit card this month","labels":["billing","shipping"]}`)
	if other.body["cached"] != false {
		t.Fatalf("another spec was served from the cache: %s", other.raw)
	}
	// The mode field cannot turn /v1/classify into multi-label.
	forced := e.call(t, "POST", "/v1/classify", e.keyA, `{"mode":"multi",`+body[1:])
	if forced.status != 200 || forced.str("label") == "" {
		t.Fatalf("mode multi on /v1/classify: %s", forced.raw)
	}
}

func TestTag(t *testing.T) {
	e := newEnv(t, envOptions{})
	// threshold 0 returns every label, highest first.
	r := e.call(t, "POST", "/v1/tag", e.keyA, `{"text":"the parcel arrived late and the app crashes","threshold":0,`+spec3+`}`)
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
	labels, ok := r.body["labels"].([]any)
	if !ok || len(labels) != 3 {
		t.Fatalf("labels = %v, want all 3 at threshold 0", r.body["labels"])
	}
	prev := 2.0
	for _, l := range labels {
		m := l.(map[string]any)
		c := m["confidence"].(float64)
		if m["label"] == "" || c > prev {
			t.Fatalf("labels not highest first: %s", r.raw)
		}
		prev = c
	}
	if r.body["cached"] != false || r.num("tokens") <= 0 {
		t.Fatalf("bad tag response %s", r.raw)
	}
	if _, ok := r.body["label"]; ok {
		t.Fatalf("tag response has a single label: %s", r.raw)
	}

	// The default threshold is 0.5: every returned label is at or above it, and the list
	// is an array even when empty.
	r = e.call(t, "POST", "/v1/tag", e.keyA, `{"text":"the parcel arrived late",`+spec3+`}`)
	labels, ok = r.body["labels"].([]any)
	if r.status != 200 || !ok {
		t.Fatalf("default threshold: %s", r.raw)
	}
	for _, l := range labels {
		if c := l.(map[string]any)["confidence"].(float64); c < 0.5 {
			t.Fatalf("label below the 0.5 default threshold: %s", r.raw)
		}
	}
	again := e.call(t, "POST", "/v1/tag", e.keyA, `{"text":"the parcel arrived late",`+spec3+`}`)
	if again.body["cached"] != true {
		t.Fatalf("repeat tag not cached: %s", again.raw)
	}
}

func TestRealtimeBatch(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{MaxTextChars: 40}})
	texts := `["my invoice shows a double charge", "", "` + strings.Repeat("x", 41) + `", "where is my package", "my invoice shows a double charge"]`
	for _, tc := range []struct {
		path  string
		multi bool
	}{{"/v1/classify/batch", false}, {"/v1/tag/batch", true}} {
		t.Run(tc.path, func(t *testing.T) {
			r := e.call(t, "POST", tc.path, e.keyA, `{"texts":`+texts+`,"threshold":0,`+spec3+`}`)
			if r.status != 200 {
				t.Fatalf("status %d %s", r.status, r.raw)
			}
			results := r.body["results"].([]any)
			if len(results) != 5 {
				t.Fatalf("%d results, want 5", len(results))
			}
			total := 0.0
			for i, it := range results {
				m := it.(map[string]any)
				total += m["tokens"].(float64)
				switch i {
				case 1, 2:
					msg, _ := m["error"].(string)
					if msg == "" || m["tokens"].(float64) != 0 {
						t.Fatalf("item %d: want an error with tokens 0: %v", i, m)
					}
					if (i == 1 && !strings.Contains(msg, "empty")) || (i == 2 && !strings.Contains(msg, "40")) {
						t.Fatalf("item %d error %q", i, msg)
					}
				default:
					if _, bad := m["error"]; bad {
						t.Fatalf("item %d failed: %v", i, m)
					}
					if tc.multi {
						if ls, ok := m["labels"].([]any); !ok || len(ls) != 3 {
							t.Fatalf("item %d labels %v", i, m["labels"])
						}
					} else if m["label"] == "" || m["confidence"] == nil {
						t.Fatalf("item %d: %v", i, m)
					}
					if m["cached"] != false {
						t.Fatalf("item %d cached on first sight: %v", i, m)
					}
				}
			}
			if r.num("total_tokens") != total || total == 0 {
				t.Fatalf("total_tokens %v, items sum %v", r.body["total_tokens"], total)
			}
			if _, ok := r.body["latency_ms"]; !ok {
				t.Fatal("no latency_ms")
			}
			// Item 4 repeats item 0 within one request: both are fresh. Asking again, all
			// valid items come from the cache.
			again := e.call(t, "POST", tc.path, e.keyA, `{"texts":`+texts+`,"threshold":0,`+spec3+`}`)
			for _, i := range []int{0, 3, 4} {
				if m := again.body["results"].([]any)[i].(map[string]any); m["cached"] != true {
					t.Fatalf("repeat item %d not cached: %v", i, m)
				}
			}
		})
	}
}

// The compiled model is cached per canonical spec: the same spec compiles once.
func TestModelCache(t *testing.T) {
	e := newEnv(t, envOptions{})
	before := e.srv.models.Len()
	for _, text := range []string{"one text", "another text", "a third one"} {
		if r := e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"`+text+`",`+spec3+`}`); r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
	}
	if got := e.srv.models.Len() - before; got != 1 {
		t.Fatalf("%d models compiled for one spec, want 1", got)
	}
	// Spacing around labels normalizes away: still the same spec.
	e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"x","labels":[" billing","shipping ","technical support"]}`)
	if got := e.srv.models.Len() - before; got != 1 {
		t.Fatalf("%d models after a normalized-equal spec, want 1", got)
	}
	e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"x","labels":["billing","shipping"]}`)
	if got := e.srv.models.Len() - before; got != 2 {
		t.Fatalf("%d models after a second spec, want 2", got)
	}
}

func TestLRU(t *testing.T) {
	c := newLRU[string, int](2)
	c.Add("a", 1)
	c.Add("b", 2)
	if _, ok := c.Get("a"); !ok { // a is now the most recent
		t.Fatal("a missing")
	}
	c.Add("c", 3) // evicts b, the least recently used
	if _, ok := c.Get("b"); ok {
		t.Fatal("b survived eviction")
	}
	for k, want := range map[string]int{"a": 1, "c": 3} {
		if v, ok := c.Get(k); !ok || v != want {
			t.Fatalf("Get(%q) = %d, %v", k, v, ok)
		}
	}
	c.Add("a", 10)
	if v, _ := c.Get("a"); v != 10 || c.Len() != 2 {
		t.Fatalf("update: a=%d len=%d", v, c.Len())
	}
	off := newLRU[string, int](0)
	off.Add("a", 1)
	if _, ok := off.Get("a"); ok || off.Len() != 0 {
		t.Fatal("a zero-capacity cache stored an entry")
	}
}

func TestResultKey(t *testing.T) {
	// The separators keep (account, spec, text) triples that concatenate alike apart.
	if resultKey("acme", `{"a"}`, "x") == resultKey("acme", `{"a"}x`, "") {
		t.Fatal("resultKey collides on concatenation")
	}
	if resultKey("ac", "me{}", "x") == resultKey("acme", "{}", "x") {
		t.Fatal("resultKey collides on the account's end")
	}
	if resultKey("acme", "s", "t") != resultKey("acme", "s", "t") {
		t.Fatal("resultKey is not deterministic")
	}
}

// FuzzRealtimeBody: whatever the body, a request never gets a 5xx and always an id.
func FuzzRealtimeBody(f *testing.F) {
	for _, s := range []string{
		`{"text":"hello",` + spec3 + `}`,
		`{"text":"hello","labels":["a","a"]}`,
		`{"texts":["a",""],"labels":["x"]}`,
		`{"text":1}`, `[`, `null`, `{"labels":null,"classifier":""}`, `{"threshold":1e999}`,
		`{"descriptions":{"x":"y"},"labels":["x"],"text":"\u0000"}`,
	} {
		f.Add("/v1/classify", s)
		f.Add("/v1/tag/batch", s)
	}
	e := newEnv(f, envOptions{})
	h := e.srv.Handler()
	f.Fuzz(func(t *testing.T, path, body string) {
		switch path {
		case "/v1/classify", "/v1/tag", "/v1/classify/batch", "/v1/tag/batch", "/v1/batch":
		default:
			path = "/v1/classify"
		}
		req, _ := http.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.keyA)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body)
		}
		if rec.Header().Get("X-Request-ID") == "" {
			t.Fatal("no X-Request-ID")
		}
	})
}

// TestLabelExpansions: a label without a description is shown with the glossary words it
// was read as; a description replaces them; a batch job's view shows them too.
func TestLabelExpansions(t *testing.T) {
	e := newEnv(t, envOptions{})
	r := e.call(t, "POST", "/v1/classify", e.keyA, `{"text":"the server is down again","labels":["billing","technical"],"descriptions":{"billing":"invoices and payments"}}`)
	if r.status != 200 {
		t.Fatalf("status %d %s", r.status, r.raw)
	}
	exp, _ := r.body["label_expansions"].(map[string]any)
	words, _ := exp["technical"].([]any)
	if len(words) == 0 || !strings.Contains(string(r.raw), `"error"`) {
		t.Fatalf("technical not expanded with the glossary's words: %s", r.raw)
	}
	if _, ok := exp["billing"]; ok {
		t.Fatalf("billing has a description but was expanded: %s", r.raw)
	}
	tag := e.call(t, "POST", "/v1/tag/batch", e.keyA, `{"texts":["hello"],"labels":["refund","zzqx unknown label"]}`)
	exp, _ = tag.body["label_expansions"].(map[string]any)
	if _, ok := exp["refund"]; !ok || len(exp) != 1 {
		t.Fatalf("/v1/tag/batch expansions: %s", tag.raw)
	}
	job := e.call(t, "POST", "/v1/batch", e.keyA, `{"labels":["billing","technical"]}`)
	view := e.call(t, "GET", "/v1/batch/"+job.str("job_id"), e.keyA, "")
	spec, _ := view.body["spec"].(map[string]any)
	exp, _ = spec["label_expansions"].(map[string]any)
	if _, ok := exp["technical"]; !ok {
		t.Fatalf("job view lacks the expansions: %s", view.raw)
	}
}
