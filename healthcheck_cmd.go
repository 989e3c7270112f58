package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

const healthcheckUsage = `Usage: classer-batch healthcheck [--config FILE] [--addr ADDR] [--url URL] [--cert FILE | --self-signed | --insecure]

Asks a running appliance's GET /healthz and exits 0 when it answers 200, 1 otherwise: the
container image's HEALTHCHECK (it has no curl). The address and TLS come from the same
configuration as serve; an unspecified listen host (0.0.0.0, ::) is reached on loopback.
--url is the appliance's base URL (https://host:8443) or its /healthz or /readyz.
With TLS it trusts exactly the configured (or self-signed) certificate, or --cert.
`

func runHealthcheck(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := configFlags("healthcheck")
	fs.String("addr", "", "the address serve listens on (default 127.0.0.1:8080)")
	// serve's --tls-cert and --tls-key are taken as before, but not listed: --cert needs no key.
	addTLSFlags(fs)
	fs.MarkHidden("tls-cert")
	fs.MarkHidden("tls-key")
	rawURL := fs.String("url", "", "the appliance's base URL, or its /healthz or /readyz, instead of the configured address")
	certFile := fs.String("cert", "", "trust exactly this certificate (PEM): the server's tls.cert_file, or its data_dir/tls/"+selfSignedCert)
	selfSigned := fs.Bool("self-signed", false, "the server uses tls.self_signed: use https and trust data_dir/tls/"+selfSignedCert)
	insecure := fs.Bool("insecure", false, "use the server's certificate without checking it")
	timeout := fs.Duration("timeout", 5*time.Second, "give up after this long")
	if err := parseFlags(fs, args, healthcheckUsage, stdout, stderr); err != nil {
		return err
	}
	if *insecure && *certFile != "" {
		return errors.New("healthcheck: --insecure and --cert: give one")
	}
	cfg, err := loadConfig(fs, environ)
	if err != nil {
		return err
	}
	if *selfSigned {
		cfg.TLS.SelfSigned = true
	}
	target, err := healthURL(*rawURL, cfg)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if *certFile == "" && cfg.TLS.enabled() {
		if *certFile = cfg.TLS.CertFile; *certFile == "" {
			*certFile = filepath.Join(cfg.DataDir, "tls", selfSignedCert)
		}
	}
	switch {
	case !strings.HasPrefix(target, "https://"):
	case *insecure:
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	case *certFile != "":
		if tr.TLSClientConfig, err = pinnedTLS(*certFile); err != nil {
			return fmt.Errorf("healthcheck: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
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
		hint := ""
		if resp.StatusCode == http.StatusNotFound {
			hint = " (--url is the appliance's base URL, or its /healthz or /readyz)"
		}
		return errors.New("healthcheck: " + target + " answered " + resp.Status + ": " + strings.TrimSpace(string(body)) + hint)
	}
	fmt.Fprintf(stdout, "%s: %s", target, body)
	return nil
}

// healthURL is the URL to ask: rawURL's /healthz or /readyz as given, /healthz under a
// base URL, or /healthz at the configured address when rawURL is empty.
func healthURL(rawURL string, cfg Config) (string, error) {
	if rawURL == "" {
		host, port, err := net.SplitHostPort(cfg.Addr)
		if err != nil {
			return "", fmt.Errorf("addr %q: %w", cfg.Addr, err)
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			host = "127.0.0.1"
		}
		scheme := "http"
		if cfg.TLS.enabled() {
			scheme = "https"
		}
		return scheme + "://" + net.JoinHostPort(host, port) + "/healthz", nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--url %q: want the appliance's base URL (http://host:port or https://host:port) or its /healthz or /readyz", rawURL)
	}
	if !strings.HasSuffix(u.Path, "/healthz") && !strings.HasSuffix(u.Path, "/readyz") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/healthz"
	}
	return u.String(), nil
}
