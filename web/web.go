// Package web embeds the appliance's web UI. For now it is a static placeholder page that
// names the appliance and lists the API; the real console comes later.
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Handler serves the embedded static files, index.html at "/".
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		// fs.Sub only fails for an invalid path, and "static" is a constant.
		panic(err)
	}
	return http.FileServerFS(sub)
}
