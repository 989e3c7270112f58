package classify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// RemoteConfig is a model served over the OpenAI HTTP API (vLLM, Ollama, llama.cpp's
// server, Text Embeddings Inference): kinds openai-embeddings and openai-chat.
type RemoteConfig struct {
	Name  string // the model's name in the appliance's config
	URL   string // the server's base URL; requests go to URL + "/v1/embeddings" etc.
	Model string // the model name the server knows
	// APIKey, if set, is sent as a Bearer token.
	APIKey string
	// MaxConcurrency bounds the requests in flight to this server, across all jobs (default 4).
	MaxConcurrency int
	// BatchSize is how many texts one embeddings request carries (default 64).
	BatchSize int
	// Timeout bounds each request (default 60 s).
	Timeout time.Duration
	// Retries is how many times a request is sent again after a 429, a 5xx, a malformed
	// answer or a timeout (default 4), with exponential backoff and jitter.
	Retries int
	// Backoff is the first wait before a retry (default 500 ms); it doubles each time, up to
	// MaxBackoff (default 20 s). A Retry-After header is honoured up to MaxBackoff.
	Backoff, MaxBackoff time.Duration
	Log                 *slog.Logger
}

func (c *RemoteConfig) defaults() {
	if c.MaxConcurrency <= 0 {
		c.MaxConcurrency = 4
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 64
	}
	if c.Timeout <= 0 {
		c.Timeout = 60 * time.Second
	}
	if c.Retries < 0 {
		c.Retries = 0
	} else if c.Retries == 0 {
		c.Retries = 4
	}
	if c.Backoff <= 0 {
		c.Backoff = 500 * time.Millisecond
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 20 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	c.URL = strings.TrimRight(c.URL, "/")
}

// RemoteError is a request to a model server that failed for good: the server's status and
// its own words, or why no answer came.
type RemoteError struct {
	Model   string // the configured name
	URL     string
	Status  int // 0 when no HTTP answer came
	Message string
}

func (e *RemoteError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("model %s (%s): %s", e.Model, e.URL, e.Message)
	}
	return fmt.Sprintf("model %s (%s): HTTP %d: %s", e.Model, e.URL, e.Status, e.Message)
}

// remoteClient sends JSON requests to one model server, at most MaxConcurrency at a time.
type remoteClient struct {
	cfg    RemoteConfig
	http   *http.Client
	sem    chan struct{}
	tokens atomic.Int64 // tokens the server reported using
}

func newRemoteClient(cfg RemoteConfig) *remoteClient {
	cfg.defaults()
	return &remoteClient{
		cfg:  cfg,
		http: &http.Client{Timeout: cfg.Timeout},
		sem:  make(chan struct{}, cfg.MaxConcurrency),
	}
}

// errBadAnswer marks a 2xx answer that could not be used (retried like a 5xx).
var errBadAnswer = errors.New("bad answer")

// post sends body to path and decodes the JSON answer into out (check, if not nil, may
// refuse it with an error wrapping errBadAnswer, which is retried). A 429, a 5xx, a
// timeout, a refused connection or a bad answer are retried with backoff; other 4xx are
// final. The error of the last attempt is a *RemoteError.
func (c *remoteClient) post(ctx context.Context, path string, body any, out any, check func() error) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	var last *RemoteError
	for attempt := 0; ; attempt++ {
		wait, rerr := c.once(ctx, path, payload, out, check)
		if rerr == nil {
			return nil
		}
		last = rerr
		if wait < 0 || attempt >= c.cfg.Retries || ctx.Err() != nil {
			break
		}
		if wait == 0 {
			wait = c.cfg.Backoff << attempt
		}
		wait = min(wait, c.cfg.MaxBackoff)
		wait = wait/2 + rand.N(wait/2+1) // jitter: half to all of it
		c.cfg.Log.Warn("model server request failed; retrying", "model", c.cfg.Name, "attempt", attempt+1, "wait", wait, "err", rerr.Message)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return last
}

// once sends one request. It returns nil on success, or the error with how long to wait
// before a retry (0: the backoff's choice; negative: do not retry).
func (c *remoteClient) once(ctx context.Context, path string, payload []byte, out any, check func() error) (time.Duration, *RemoteError) {
	fail := func(status int, format string, args ...any) *RemoteError {
		return &RemoteError{Model: c.cfg.Name, URL: c.cfg.URL, Status: status, Message: fmt.Sprintf(format, args...)}
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return -1, fail(0, "%v", context.Cause(ctx))
	}
	defer func() { <-c.sem }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL+path, bytes.NewReader(payload))
	if err != nil {
		return -1, fail(0, "%v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return -1, fail(0, "%v", context.Cause(ctx))
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return 0, fail(0, "no answer within %s", c.cfg.Timeout)
		}
		return 0, fail(0, "%v", err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return 0, fail(res.StatusCode, "reading the answer: %v", err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		msg := serverMessage(raw)
		switch {
		case res.StatusCode == http.StatusTooManyRequests:
			return retryAfter(res.Header.Get("Retry-After")), fail(res.StatusCode, "%s", msg)
		case res.StatusCode >= 500:
			return retryAfter(res.Header.Get("Retry-After")), fail(res.StatusCode, "%s", msg)
		}
		return -1, fail(res.StatusCode, "%s", msg)
	}
	var usage struct {
		Usage struct {
			TotalTokens int64 `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return 0, fail(res.StatusCode, "the answer is not the JSON expected: %v", err)
	}
	if check != nil {
		if err := check(); err != nil {
			return 0, fail(res.StatusCode, "%v", err)
		}
	}
	if json.Unmarshal(raw, &usage) == nil {
		c.tokens.Add(usage.Usage.TotalTokens)
	}
	return 0, nil
}

// serverMessage is the error message of an OpenAI-style error body, or the body itself.
func serverMessage(raw []byte) string {
	var e struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &e) == nil && len(e.Error) > 0 {
		var obj struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(e.Error, &obj) == nil && obj.Message != "" {
			return obj.Message
		}
		var s string
		if json.Unmarshal(e.Error, &s) == nil && s != "" {
			return s
		}
	}
	msg := strings.TrimSpace(string(raw))
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	if msg == "" {
		msg = "(empty body)"
	}
	return msg
}

// retryAfter parses a Retry-After header in seconds (0 if absent or a date).
func retryAfter(h string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	return 0
}
