package web

import (
	"crypto/sha256"
	"encoding/base64"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func get(t *testing.T, path string, hdr map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	Handler().ServeHTTP(rec, req)
	return rec.Result()
}

// TestPage checks that "/" is one self-contained document: the stylesheet and the
// script are inlined, nothing is fetched from elsewhere, and the CSP admits the script.
func TestPage(t *testing.T) {
	resp := get(t, "/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: %d", resp.StatusCode)
	}
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if strings.Contains(body, `src="app.js"`) || strings.Contains(body, `href="app.css"`) {
		t.Error("assets not inlined")
	}
	for _, want := range []string{"<style>", "--accent", "function labelEditor", "</script>"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// No network fetches: no absolute URLs to load (the SVG namespace is an identifier).
	for _, m := range regexp.MustCompile(`(?:src|href)\s*=\s*["']?(https?:)?//`).FindAllString(body, -1) {
		t.Errorf("page loads something from elsewhere: %s", m)
	}
	if strings.Contains(body, "@import") || strings.Contains(body, "url(http") {
		t.Error("stylesheet imports from elsewhere")
	}

	csp := resp.Header.Get("Content-Security-Policy")
	script := body[strings.LastIndex(body, "<script>")+len("<script>") : strings.LastIndex(body, "</script>")]
	sum := sha256.Sum256([]byte(script))
	if !strings.Contains(csp, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Errorf("CSP %q does not admit the inline script", csp)
	}

	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if r2 := get(t, "/", map[string]string{"If-None-Match": etag}); r2.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", r2.StatusCode)
	}
}

func TestAssetsByPath(t *testing.T) {
	for _, p := range []string{"/app.js", "/app.css", "/index.html"} {
		if resp := get(t, p, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
	if resp := get(t, "/nope.js", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /nope.js: %d", resp.StatusCode)
	}
}

// TestModules checks that every module is served by path as JavaScript (browsers refuse
// a module of another type) and that the page inlines all of them: a module app.js
// does not reach would be dead code.
func TestModules(t *testing.T) {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		t.Fatal(err)
	}
	js, err := link(sub, "app.js")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(sub, "*.js")
	if err != nil || len(names) < 2 {
		t.Fatalf("modules %v, %v", names, err)
	}
	for _, name := range names {
		resp := get(t, "/"+name, nil)
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("GET /%s: %d %q", name, resp.StatusCode, ct)
		}
		if !strings.Contains(js, "\n// "+name+"\n") {
			t.Errorf("%s is not imported from app.js", name)
		}
	}
}

// TestLinkRejects checks that link refuses what it cannot inline faithfully.
func TestLinkRejects(t *testing.T) {
	for name, files := range map[string]fstest.MapFS{
		"cycle": {
			"app.js": {Data: []byte("import { b } from './b.js';\n")},
			"b.js":   {Data: []byte("import { a } from './app.js';\nexport const b = 1;\n")},
		},
		"export let": {
			"app.js": {Data: []byte("import { b } from './b.js';\n")},
			"b.js":   {Data: []byte("export let b = 1;\n")},
		},
		"default export": {
			"app.js": {Data: []byte("export default 1;\n")},
		},
		"renamed import": {
			"app.js": {Data: []byte("import { b as c } from './b.js';\n")},
			"b.js":   {Data: []byte("export const b = 1;\n")},
		},
		"missing module": {
			"app.js": {Data: []byte("import { b } from './b.js';\n")},
		},
	} {
		if js, err := link(files, "app.js"); err != nil {
			t.Logf("%s: %v", name, err)
		} else {
			t.Errorf("%s: linked:\n%s", name, js)
		}
	}
}
