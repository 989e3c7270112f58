package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"time"
)

const healthcheckUsage = `Usage: classer-batch healthcheck [--config FILE] [--addr ADDR] [--url URL]

Asks a running appliance's GET /healthz and exits 0 when it answers 200, 1 otherwise: the
container image's HEALTHCHECK (it has no curl). The address and TLS come from the same
configuration as serve; an unspecified listen host (0.0.0.0, ::) is reached on loopback.
With TLS it trusts exactly the configured (or self-signed) certificate.
`

func runHealthcheck(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := serveFlags("healthcheck")
	addTLSFlags(fs)
	rawURL := fs.String("url", "", "base URL to check instead of the configured address")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if err := parseFlags(fs, args, healthcheckUsage, stdout, stderr); err != nil {
		return err
	}
	cfg, err := loadConfig(fs, environ)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(*rawURL, "/")
	if base == "" {
		host, port, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return fmt.Errorf("healthcheck: addr %q: %w", cfg.Addr, err)
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "127.0.0.1"
		}
		scheme := "http"
		if cfg.TLS.enabled() {
			scheme = "https"
		}
		base = scheme + "://" + net.JoinHostPort(host, port)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if strings.HasPrefix(base, "https://") && cfg.TLS.enabled() {
		certFile := cfg.TLS.CertFile
		if certFile == "" {
			certFile = filepath.Join(cfg.DataDir, "tls", selfSignedCert)
		}
		if tr.TLSClientConfig, err = pinnedTLS(certFile); err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return errors.New("healthcheck: " + base + "/healthz answered " + resp.Status + ": " + strings.TrimSpace(string(body)))
	}
	fmt.Fprintf(stdout, "%s/healthz: %s", base, body)
	return nil
}
