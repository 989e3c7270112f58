package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestOpenAPIRoutes: GET /openapi.json (no key) is an OpenAPI 3.1 document that a maintained
// validator (kin-openapi) accepts, and it matches the route table both ways: every route
// is documented, every documented operation is served, and an operation needs a key in
// the document exactly when its route does. A new route and its entry in openapi.yaml are
// added together; nothing else needs to change.
func TestOpenAPIRoutes(t *testing.T) {
	e := newEnv(t, envOptions{cfg: Config{Version: VersionInfo{Version: "v9.8.7"}}})
	r := e.call(t, "GET", "/openapi.json", "", "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.raw)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the document does not validate: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() || doc.Info.Version != "v9.8.7" || len(doc.Servers) != 1 || doc.Servers[0].URL != e.url {
		t.Fatalf("openapi %s, info.version %q, servers %v; want 3.1, the build's version and the public URL %s",
			doc.OpenAPI, doc.Info.Version, doc.Servers, e.url)
	}

	served := map[string]bool{} // "GET /v1/batch/{id}" -> needs a key
	for _, rt := range e.srv.routes() {
		served[rt.method+" "+OpenAPIPath(rt.path)] = rt.auth || rt.admin
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			needsKey := len(doc.Security) > 0
			if op.Security != nil {
				needsKey = len(*op.Security) > 0
			}
			documented[method+" "+path] = needsKey
		}
	}
	for _, op := range slices.Sorted(mapKeys(served)) {
		needsKey, ok := documented[op]
		switch {
		case !ok:
			t.Errorf("route %s is not in openapi.yaml", op)
		case needsKey != served[op]:
			t.Errorf("%s: the document says a key is needed: %v; the route table: %v", op, needsKey, served[op])
		}
	}
	for _, op := range slices.Sorted(mapKeys(documented)) {
		if _, ok := served[op]; !ok {
			t.Errorf("openapi.yaml documents %s, which no route serves", op)
		}
	}

	// Every error answer of an operation is the one error shape.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				if code >= "400" && code != "default" && resp.Value != nil {
					if mt := resp.Value.Content.Get("application/json"); mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Error" {
						t.Errorf("%s %s: response %s is not the Error schema", method, path, code)
					}
				}
			}
		}
	}
	var raw map[string]any
	json.Unmarshal(r.raw, &raw)
	if raw["openapi"] != "3.1.0" {
		t.Errorf("openapi %v", raw["openapi"])
	}
}

// TestOpenAPIPath maps echo's route syntax to OpenAPI's.
func TestOpenAPIPath(t *testing.T) {
	for in, want := range map[string]string{
		"/v1/batch/:id/start":   "/v1/batch/{id}/start",
		"/v1/classifiers/:name": "/v1/classifiers/{name}",
		"/_blob/download/*":     "/_blob/download/{key}",
		"/healthz":              "/healthz",
	} {
		if got := OpenAPIPath(in); got != want {
			t.Errorf("OpenAPIPath(%q) = %q, want %q", in, got, want)
		}
	}
	_ = http.MethodGet
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
