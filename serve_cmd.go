package main

import (
	"context"
	"io"
)

const serveUsage = `Usage: classer-batch serve [flags]

Runs the appliance: the HTTP API and web console, the batch pipeline and the database.
On first start with no key configured it prints an admin key once on stderr.
HTTPS: --tls-cert and --tls-key, or tls.self_signed: true (CLASSER_TLS_SELF_SIGNED=true)
for a certificate made on first start and kept in the data dir.
`

// runServe is `classer-batch serve`: Main (serve.go) until a signal, then its Close.
func runServe(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	fs := serveFlags("serve")
	addTLSFlags(fs)
	if err := parseFlags(fs, args, serveUsage, stdout, stderr); err != nil {
		return err
	}
	cfg, err := loadConfig(fs, environ)
	if err != nil {
		return err
	}
	m := &Main{Config: cfg, Log: newLogger(stderr, cfg.LogLevel, cfg.LogFormat), Stderr: stderr}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	m.logStartup()
	select {
	case <-ctx.Done():
	case err := <-m.served:
		m.Log.Error("http server stopped", "err", err)
	}
	m.Log.Info("shutting down")
	return m.Close()
}
