// Package web embeds the appliance's web console: plain HTML, CSS and JavaScript in
// web/static with no build step, using only the public HTTP API. The script is a set
// of ES modules: app.js (the entry: routing and the key gate) imports one module per
// page, and the pages import the shared helpers (DOM, formatting, API client, page state).
//
// The console is served as one document at "/": the stylesheet and the modules are
// inlined into index.html when the handler is built (link.go), so the server needs no
// route other than "/" and the page makes no request for assets (the appliance is
// often air-gapped and behind proxies that forward only what they must). The files
// stay separate in the source and are also served by path for routers that mount the
// handler on sub-paths.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

const (
	cssTag = `<link rel="stylesheet" href="app.css">`
	jsTag  = `<script type="module" src="app.js"></script>`
)

// Handler serves the console at "/" (and "/index.html") and the static files by path.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub only fails for an invalid path, and "static" is a constant.
		panic(err)
	}
	p, err := buildPage(sub)
	if err != nil {
		// The inputs are embedded constants; TestPage catches a broken edit.
		panic(err)
	}
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && r.URL.Path != "/index.html" {
			w.Header().Set("X-Content-Type-Options", "nosniff")
			files.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		// Revalidate every time: a new binary must not leave an old console in caches.
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", p.etag)
		h.Set("Content-Security-Policy", p.csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(p.body))
	})
}

type page struct {
	body []byte
	etag string
	csp  string
}

// buildPage inlines app.css and the modules linked from app.js into index.html and
// derives a Content-Security-Policy that allows exactly that script (by hash). Styles
// need 'unsafe-inline' because the script sets style attributes (bar widths).
// connect-src stays open to http(s) because upload and download URLs may point at an
// object store on another origin.
func buildPage(fsys fs.FS) (page, error) {
	read := func(name string) (string, error) {
		b, err := fs.ReadFile(fsys, name)
		return string(b), err
	}
	html, err := read("index.html")
	if err != nil {
		return page{}, err
	}
	css, err := read("app.css")
	if err != nil {
		return page{}, err
	}
	js, err := link(fsys, "app.js")
	if err != nil {
		return page{}, err
	}
	if strings.Contains(strings.ToLower(css), "</style") || strings.Contains(strings.ToLower(js), "</script") {
		return page{}, fmt.Errorf("web: app.css or a module contains a closing tag and cannot be inlined")
	}
	if strings.Count(html, cssTag) != 1 || strings.Count(html, jsTag) != 1 {
		return page{}, fmt.Errorf("web: index.html must reference app.css and app.js exactly once as %s and %s", cssTag, jsTag)
	}
	html = strings.Replace(html, cssTag, "<style>\n"+css+"</style>", 1)
	html = strings.Replace(html, jsTag, "<script>\n"+js+"</script>", 1)

	sum := sha256.Sum256([]byte("\n" + js))
	csp := strings.Join([]string{
		"default-src 'none'",
		"script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'",
		"style-src 'unsafe-inline'",
		"img-src data:",
		"connect-src 'self' http: https:",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
	etag := sha256.Sum256([]byte(html))
	return page{body: []byte(html), etag: `"` + hex.EncodeToString(etag[:8]) + `"`, csp: csp}, nil
}
