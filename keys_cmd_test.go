package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestKeysCommand(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	var out bytes.Buffer
	if err := run(ctx, []string{"keys", "create", "--account", "gamma", "--data-dir", dir}, nil, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	secret := strings.TrimSpace(strings.SplitN(out.String(), "\n", 2)[0])
	if !strings.HasPrefix(secret, "sk-") {
		t.Fatalf("create printed %q", out.String())
	}

	out.Reset()
	if err := run(ctx, []string{"keys", "list", "--data-dir", dir}, nil, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "gamma") || strings.Contains(out.String(), secret) {
		t.Fatalf("list must show the account and never the secret:\n%s", out.String())
	}
	id := strings.Fields(strings.Split(out.String(), "\n")[1])[0]

	// With the server running, the key works and the CLI says the database is in use.
	cfg := testConfig(t, dir)
	cfg.Auth.Keys = nil
	var stderr bytes.Buffer
	m := &Main{Config: cfg, Log: newLogger(io.Discard, "error", "text"), Stderr: &stderr}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if stderr.Len() != 0 {
		t.Errorf("an admin key was created although a key exists: %s", stderr.String())
	}
	if code, _ := newClient(t, m.URL, secret).do("GET", "/v1/batch", nil, nil); code != http.StatusOK {
		t.Errorf("created key: %d", code)
	}
	err := run(ctx, []string{"keys", "list", "--data-dir", dir}, nil, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("keys list while serving: %v, want a clear 'in use' error", err)
	}
	m.Close()

	if err := run(ctx, []string{"keys", "revoke", id, "--data-dir", dir}, nil, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	m = startMain(t, cfg)
	defer m.Close()
	if code, _ := newClient(t, m.URL, secret).do("GET", "/v1/batch", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("revoked key: %d, want 401", code)
	}
}

// TestFirstStartCreatesAdminKey: with no key configured, the first start prints an
// admin key once; the second start does not.
func TestFirstStartCreatesAdminKey(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	cfg.Auth.Keys = nil
	var stderr bytes.Buffer
	m := &Main{Config: cfg, Log: newLogger(io.Discard, "error", "text"), Stderr: &stderr}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var key string
	for _, f := range strings.Fields(stderr.String()) {
		if strings.HasPrefix(f, "sk-") {
			key = f
			break
		}
	}
	if key == "" {
		t.Fatalf("no key printed: %q", stderr.String())
	}
	if code, _ := newClient(t, m.URL, key).do("GET", "/v1/batch", nil, nil); code != http.StatusOK {
		t.Errorf("admin key: %d", code)
	}
	m.Close()

	stderr.Reset()
	m = &Main{Config: cfg, Log: newLogger(io.Discard, "error", "text"), Stderr: &stderr}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if strings.Contains(stderr.String(), "sk-") {
		t.Errorf("second start printed a key again")
	}
}
