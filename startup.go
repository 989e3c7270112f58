package main

import (
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/classer-ai/classer-batch/classify"
	"github.com/classer-ai/classer-batch/server"
)

// logStartup says, once the appliance serves, what an operator needs to check the install:
// where it listens and under which URL it hands out links, the data dir, which storage
// (local path, or S3 endpoint and bucket), whether TLS is on (and the self-signed
// certificate's fingerprint), and the models in use.
func (m *Main) logStartup() {
	cfg := m.Config
	publicURL := strings.TrimSuffix(cfg.PublicURL, "/")
	if publicURL == "" {
		publicURL = m.URL
	}
	attrs := []any{
		"url", m.URL,
		"listen", m.ln.Addr().String(),
		"public_url", publicURL,
		"data_dir", absPath(cfg.DataDir),
	}
	switch cfg.Storage.Kind {
	case "s3":
		s3 := cfg.Storage.S3
		attrs = append(attrs, "storage", "s3", "s3_endpoint", s3.Endpoint, "s3_bucket", s3.Bucket, "s3_use_ssl", s3.UseSSL)
		if s3.PublicEndpoint != "" {
			attrs = append(attrs, "s3_public_endpoint", s3.PublicEndpoint)
		}
	default:
		attrs = append(attrs, "storage", "local", "objects", absPath(filepath.Join(cfg.DataDir, "objects")))
	}
	if m.tls == nil {
		attrs = append(attrs, "tls", "off")
	} else {
		attrs = append(attrs, "tls", m.tls.source, "tls_cert", absPath(m.tls.certFile), "tls_sha256", m.tls.fingerprint)
	}
	v := buildVersion()
	attrs = append(attrs, "models", modelsInUse(cfg, v), "workers", cfg.Workers, "version", v.Version, "commit", v.Commit)
	// The certificate's line first: the "serving" line is the last word of a start.
	if m.tls != nil && m.tls.source == "self-signed" {
		msg := "using the self-signed TLS certificate"
		if m.tls.created {
			msg = "created a self-signed TLS certificate"
		}
		m.Log.Info(msg, "file", absPath(m.tls.certFile), "hosts", strings.Join(m.tls.hosts, ","),
			"sha256_fingerprint", m.tls.fingerprint,
			"hint", "check the fingerprint your browser shows, or trust the file: curl --cacert FILE")
	}
	m.Log.Info("classer-batch serving", attrs...)
}

// modelsInUse names the models a spec can name, with their kind, and the default.
func modelsInUse(cfg Config, v server.VersionInfo) string {
	parts := []string{classify.KindBuiltin + " (" + v.BuiltinModel.Name + ")"}
	for _, name := range slices.Sorted(maps.Keys(cfg.Models)) {
		if name != classify.KindBuiltin {
			parts = append(parts, name+" ("+cfg.Models[name].Kind+")")
		}
	}
	def := cfg.DefaultModel
	if def == "" {
		def = classify.KindBuiltin
	}
	return strings.Join(parts, ", ") + "; default " + def
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
