package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// TestHealthcheckURL (issue 22): --url takes the appliance's base URL or its /healthz or
// /readyz (it used to ask …/healthz/healthz and answer a bare 404); a URL that is neither
// is refused naming what --url wants.
func TestHealthcheckURL(t *testing.T) {
	m := startMain(t, testConfig(t, t.TempDir()))
	for url, asked := range map[string]string{
		m.URL:              m.URL + "/healthz",
		m.URL + "/":        m.URL + "/healthz",
		m.URL + "/healthz": m.URL + "/healthz",
		m.URL + "/readyz":  m.URL + "/readyz",
	} {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"healthcheck", "--url", url}, nil, nil, &out, io.Discard); err != nil ||
			!strings.HasPrefix(out.String(), asked+": ") {
			t.Errorf("healthcheck --url %s: %v %q; want %s asked", url, err, out.String(), asked)
		}
	}
	err := run(context.Background(), []string{"healthcheck", "--url", strings.TrimPrefix(m.URL, "http://")}, nil, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--url") || !strings.Contains(err.Error(), "base URL") {
		t.Errorf("healthcheck --url host:port: %v; want it refused saying what --url wants", err)
	}
	err = run(context.Background(), []string{"healthcheck", "--url", m.URL + "/v1"}, nil, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), "base URL") {
		t.Errorf("healthcheck --url …/v1: %v; want a 404 that says what --url wants", err)
	}
}

// TestHealthcheckTLSFlags (issue 22): the healthcheck reaches an HTTPS appliance with flags
// alone (TLS used to come only from the configuration or CLASSER_TLS_*): --self-signed
// trusts the data dir's certificate, --cert exactly the one given, --insecure any; without
// them an unknown certificate is refused, and so is another one given with --cert.
func TestHealthcheckTLSFlags(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.TLS.SelfSigned = true
	m := startMain(t, cfg)
	if !strings.HasPrefix(m.URL, "https://") {
		t.Fatalf("URL %q", m.URL)
	}
	addr := strings.TrimPrefix(m.URL, "https://")
	_, otherCert, _ := issueCert(t, t.TempDir(), "127.0.0.1")
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"--addr", addr, "--data-dir", dir, "--self-signed"}, true},
		{[]string{"--url", m.URL, "--data-dir", dir, "--self-signed"}, true},
		{[]string{"--url", m.URL, "--cert", filepath.Join(dir, "tls", selfSignedCert)}, true},
		{[]string{"--url", m.URL, "--insecure"}, true},
		{[]string{"--url", m.URL}, false},
		{[]string{"--url", m.URL, "--cert", otherCert}, false},
		{[]string{"--url", m.URL, "--cert", otherCert, "--insecure"}, false},
	} {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"healthcheck"}, tc.args...), nil, nil, &out, io.Discard)
		if ok := err == nil && strings.Contains(out.String(), `"status":"ok"`); ok != tc.ok {
			t.Errorf("healthcheck %s: %v %q; want ok=%v", strings.Join(tc.args, " "), err, out.String(), tc.ok)
		}
	}
}

// TestCommandFlags (issue 22): each command's --help lists only the flags it uses (restore
// and keys listed serve's --addr and --public-url; healthcheck serve's --tls-key).
func TestCommandFlags(t *testing.T) {
	for _, tc := range []struct {
		cmd           []string
		want, notWant []string
	}{
		{[]string{"restore"}, []string{"--config", "--data-dir"}, []string{"--addr", "--public-url", "--tls-"}},
		{[]string{"keys", "create"}, []string{"--config", "--data-dir", "--account"}, []string{"--addr", "--public-url", "--tls-"}},
		{[]string{"healthcheck"}, []string{"--config", "--addr", "--url", "--cert", "--self-signed", "--insecure"}, []string{"--public-url", "--tls-key"}},
	} {
		var out bytes.Buffer
		if err := run(context.Background(), append(tc.cmd, "--help"), nil, nil, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		_, flags, _ := strings.Cut(out.String(), "\nFlags:\n")
		for _, w := range tc.want {
			if !strings.Contains(flags, w) {
				t.Errorf("%s --help lacks %s:\n%s", tc.cmd, w, flags)
			}
		}
		for _, w := range tc.notWant {
			if strings.Contains(flags, w) {
				t.Errorf("%s --help lists %s, which it does not use:\n%s", tc.cmd, w, flags)
			}
		}
	}
}
