package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestPprofAddrLoopbackOnly(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:6060": true, "[::1]:6060": true, "localhost:6060": true,
		"0.0.0.0:6060": false, ":6060": false, "10.0.0.5:6060": false, "6060": false,
	} {
		_, err := loadConfig(pflag.NewFlagSet("t", pflag.ContinueOnError), []string{"CLASSER_DEBUG_PPROF_ADDR=" + addr})
		if ok && err != nil {
			t.Errorf("%s: %v", addr, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "debug.pprof_addr")) {
			t.Errorf("%s: want an error naming debug.pprof_addr, got %v", addr, err)
		}
	}
}

func TestPprofEndpoint(t *testing.T) {
	get := func(url string) int {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	off := startMain(t, testConfig(t, t.TempDir()))
	defer off.Close()
	if off.PprofURL != "" {
		t.Fatalf("pprof is on by default at %s", off.PprofURL)
	}

	cfg := testConfig(t, t.TempDir())
	cfg.Debug.PprofAddr = "127.0.0.1:0"
	m := startMain(t, cfg)
	if code := get(m.PprofURL + "/debug/pprof/cmdline"); code != http.StatusOK {
		t.Fatalf("pprof cmdline: %d", code)
	}
	if code := get(m.URL + "/debug/pprof/cmdline"); code == http.StatusOK {
		t.Fatal("the API listener serves pprof")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if code := get(m.PprofURL + "/debug/pprof/cmdline"); code != 0 {
		t.Fatalf("pprof still answers after Close: %d", code)
	}
}
