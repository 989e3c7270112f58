// Command slowembed is a test-only OpenAI-compatible embeddings server for the scaling
// benchmark (bench/cluster_scale.sh, issue 25): POST /v1/embeddings answers after a fixed
// delay per request, with no limit on requests at once, so that a job's speed is bound by
// the model server's latency (as with a remote GPU server) and not by this machine's CPU.
// The vectors are classify/modeltest's fake server's (deterministic, a pseudo-random vector
// per word); GET /stats counts the requests and texts so far.
//
//	go run ./bench/slowembed -addr 127.0.0.1:8001 -delay 20ms -dims 16
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/classer-ai/classer-batch/classify/modeltest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address (loopback: this is a test tool)")
	delay := flag.Duration("delay", 20*time.Millisecond, "time each request takes before it is answered")
	dims := flag.Int("dims", 16, "dimensions of the vectors")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *delay, *dims); err != nil {
		slog.Error("slowembed", "err", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, addr string, delay time.Duration, dims int) error {
	fake := modeltest.NewOpenAIServer(dims)
	defer fake.Close()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler(fake, delay), ReadHeaderTimeout: 10 * time.Second}
	// The script waits for this line to learn the port.
	fmt.Printf("listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// handler delays every request by delay (all of them at once: no queue, as a server
// with enough GPUs) and then lets the fake server answer it.
func handler(fake *modeltest.OpenAIServer, delay time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path == "/stats" {
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(map[string]int64{"requests": fake.Requests.Load(), "texts": fake.EmbeddedTexts.Load()})
			return
		}
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		}
		fake.Config.Handler.ServeHTTP(w, r)
	})
}
