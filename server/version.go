package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// VersionInfo is what GET /v1/version and `classer-batch version` report: which build
// and which built-in model answer.
type VersionInfo struct {
	Version string `json:"version"`
	// Commit is the source revision ("unknown" when the build recorded none); Modified
	// says the tree had uncommitted changes.
	Commit       string      `json:"commit"`
	CommitTime   string      `json:"commit_time,omitempty"`
	Modified     bool        `json:"modified"`
	GoVersion    string      `json:"go_version"`
	Platform     string      `json:"platform"`
	BuiltinModel BuiltinInfo `json:"builtin_model"`
}

// BuiltinInfo describes the built-in model embedded in the binary (classify/wordvec's
// Describe makes it): an operator can tell which model answered.
type BuiltinInfo struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Words  int    `json:"words"`
	Dims   int    `json:"dims"`
	// SHA256 is the embedded file's hash: two binaries with the same one answer alike.
	SHA256 string `json:"sha256"`
}

// handleVersion answers GET /v1/version. It needs no key, like /openapi.json, whose
// info.version says as much: monitoring and support scripts ask it first.
func (s *Server) handleVersion(c echo.Context) error {
	return writeJSON(c, http.StatusOK, s.cfg.Version)
}
