package server

import (
	"testing"
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
