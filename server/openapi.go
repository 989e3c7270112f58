package server

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"go.yaml.in/yaml/v3"
)

// openapiYAML is the OpenAPI 3.1 description of every route (routes.go), written by hand
// beside the handlers; TestOpenAPIRoutes keeps the two in step both ways.
//
//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPIDocument renders openapi.yaml as the JSON GET /openapi.json serves, with this
// appliance's public URL as its server and this build's version.
func OpenAPIDocument(publicURL, version string) ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	if info, ok := doc["info"].(map[string]any); ok {
		if version == "" {
			version = "dev"
		}
		info["version"] = version
	}
	if publicURL != "" {
		doc["servers"] = []any{map[string]any{"url": publicURL}}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml to JSON: %w", err)
	}
	return b, nil
}

// OpenAPIPath is the OpenAPI form of an echo route path: ":id" is "{id}", and the
// trailing "*" of the blob downloads is "{key}" (a key that spans path segments).
func OpenAPIPath(echoPath string) string {
	parts := strings.Split(echoPath, "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, ":"):
			parts[i] = "{" + p[1:] + "}"
		case p == "*":
			parts[i] = "{key}"
		}
	}
	return strings.Join(parts, "/")
}

// handleOpenAPI answers GET /openapi.json (no key: the API's shape is no secret).
func (s *Server) handleOpenAPI(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-cache")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, s.openapi)
}
