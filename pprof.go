package main

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// validatePprofAddr accepts only a loopback address: profiles and goroutine dumps show
// the code, the texts being classified and the keys in memory, so they never leave the
// machine and never share the API's listener (which has no route for them).
func validatePprofAddr(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("debug.pprof_addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("debug.pprof_addr %q must be a loopback address (127.0.0.1:PORT, [::1]:PORT or localhost:PORT)", addr)
	}
	return nil
}

// startPprof serves net/http/pprof on debug.pprof_addr, if set, so a running job can be
// profiled (`go tool pprof http://ADDR/debug/pprof/profile?seconds=30`). Close stops it.
func (m *Main) startPprof() error {
	addr := m.Config.Debug.PprofAddr
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("debug.pprof_addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	m.pprof = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	m.PprofURL = "http://" + ln.Addr().String()
	m.pprofDone = make(chan struct{})
	go func() {
		defer close(m.pprofDone)
		if err := m.pprof.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("pprof server stopped", "err", err)
		}
	}()
	m.Log.Info("profiling endpoint on loopback", "url", m.PprofURL+"/debug/pprof/")
	return nil
}

// stopPprof closes the profiling listener at once: a profile being taken is cut off.
func (m *Main) stopPprof() {
	if m.pprof != nil {
		m.pprof.Close()
		<-m.pprofDone
	}
}
