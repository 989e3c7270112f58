// Package openai is the provider for model servers with the OpenAI HTTP API (vLLM, Ollama,
// llama.cpp's server, Text Embeddings Inference): the HTTP client with its retries and
// typed failures (classify.RemoteError), embeddings and chat.
package openai

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/classer-ai/classer-batch/classify"
)

// Config is a model served over the OpenAI HTTP API (vLLM, Ollama, llama.cpp's
// server, Text Embeddings Inference): kinds openai-embeddings and openai-chat.
type Config struct {
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

func (c *Config) defaults() {
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

// client sends JSON requests to one model server, at most MaxConcurrency at a time.
type client struct {
	cfg    Config
	http   *http.Client
	sem    chan struct{}
	tokens atomic.Int64 // tokens the server reported using
}

func newClient(cfg Config) *client {
	cfg.defaults()
	return &client{
		cfg:  cfg,
		http: &http.Client{Timeout: cfg.Timeout, CheckRedirect: noRedirects},
		sem:  make(chan struct{}, cfg.MaxConcurrency),
	}
}

// noRedirects keeps the client on the configured server: a redirect would send the texts,
// and the API key or the URL's credentials, wherever the answer points (an internal
// address, another host). The 3xx itself comes back, and is a final error.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// errBadAnswer marks a 2xx answer that could not be used (retried like a 5xx).
var errBadAnswer = errors.New("bad answer")

// post sends body to path and decodes the JSON answer into out (check, if not nil, may
// refuse it with an error wrapping errBadAnswer, which is retried). A 429, a 5xx, a
// timeout, a refused connection or a bad answer are retried with backoff; other 4xx are
// final. The error of the last attempt is a *classify.RemoteError.
func (c *client) post(ctx context.Context, path string, body any, out any, check func() error) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return err
	}
	var last *classify.RemoteError
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
		c.cfg.Log.Warn("model server request failed; retrying", "model", c.cfg.Name, "url", c.redactedURL(),
			"attempt", attempt+1, "wait", wait, "kind", rerr.Kind, "err", rerr)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return c.stopped(ctx)
		}
	}
	if ctx.Err() != nil {
		return c.stopped(ctx)
	}
	c.cfg.Log.Error("model server request failed", "model", c.cfg.Name, "url", c.redactedURL(),
		"kind", last.Kind, "status", last.Status, "err", last, "cause", last.Err)
	return last
}

// stopped is the error of a request whose context ended: a deadline (the caller's bound
// on the model, as Compile sets) is the server's timeout; a cancel is the caller's, and
// its cause is returned as it is (a client that went away, a cancelled job).
func (c *client) stopped(ctx context.Context) error {
	cause := context.Cause(ctx)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &classify.RemoteError{Model: c.cfg.Name, Kind: classify.RemoteTimeout, Message: "the model server did not answer in time", Err: cause}
	}
	return cause
}

// redactedURL is the server's URL for the operator's log, without its password.
func (c *client) redactedURL() string {
	u, err := url.Parse(c.cfg.URL)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

// once sends one request. It returns nil on success, or the error with how long to wait
// before a retry (0: the backoff's choice; negative: do not retry).
func (c *client) once(ctx context.Context, path string, payload []byte, out any, check func() error) (time.Duration, *classify.RemoteError) {
	fail := func(kind string, status int, cause error, format string, args ...any) *classify.RemoteError {
		return &classify.RemoteError{Model: c.cfg.Name, Kind: kind, Status: status, Message: fmt.Sprintf(format, args...), Err: cause}
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return -1, fail(classify.RemoteTimeout, 0, context.Cause(ctx), "the request was stopped before it was sent")
	}
	defer func() { <-c.sem }()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL+path, bytes.NewReader(payload))
	if err != nil {
		// err quotes the URL: it stays in the log.
		return -1, fail(classify.RemoteUnreachable, 0, err, "the model's url is not usable")
	}
	req.Header.Set("Content-Type", "application/json")
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
	res, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return -1, fail(classify.RemoteTimeout, 0, err, "the request was stopped before an answer came")
		}
		kind, msg := transportFailure(err)
		if kind == classify.RemoteTimeout {
			msg = fmt.Sprintf("the model server did not answer within %s", c.cfg.Timeout)
		}
		return 0, fail(kind, 0, err, "%s", msg)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		kind, msg := transportFailure(err)
		if kind == classify.RemoteUnreachable {
			kind = classify.RemoteFailed // it did answer: the answer broke off
		}
		return 0, fail(kind, res.StatusCode, err, "reading the answer: %s", msg)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		msg := serverMessage(raw)
		switch {
		case res.StatusCode == http.StatusTooManyRequests:
			return retryAfter(res.Header.Get("Retry-After")), fail(classify.RemoteOverloaded, res.StatusCode, nil, "the model server is overloaded: %s", msg)
		case res.StatusCode >= 500:
			return retryAfter(res.Header.Get("Retry-After")), fail(classify.RemoteFailed, res.StatusCode, nil, "the model server failed: %s", msg)
		case res.StatusCode >= 300 && res.StatusCode < 400:
			// The Location may name an internal address: the log has it, tenants do not.
			return -1, fail(classify.RemoteRefused, res.StatusCode, fmt.Errorf("redirect to %q", res.Header.Get("Location")),
				"the model server answered with a redirect, which is not followed: check the model's url")
		case res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden:
			// Some servers quote part of the key they refused: their words stay in the log.
			return -1, fail(classify.RemoteRefused, res.StatusCode, errors.New(msg),
				"the model server refused the appliance's credentials: check the model's api_key_env")
		}
		return -1, fail(classify.RemoteRefused, res.StatusCode, nil, "the model server refused the request: %s", msg)
	}
	var usage struct {
		Usage struct {
			TotalTokens int64 `json:"total_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return 0, fail(classify.RemoteBadAnswer, res.StatusCode, err, "the model server's answer is not the JSON expected: %v", err)
	}
	if check != nil {
		if err := check(); err != nil {
			return 0, fail(classify.RemoteBadAnswer, res.StatusCode, err, "the model server's answer is not usable: %v", err)
		}
	}
	if json.Unmarshal(raw, &usage) == nil {
		c.tokens.Add(usage.Usage.TotalTokens)
	}
	return 0, nil
}

// transportFailure says why no answer came, in words that hold no part of the URL (a
// *url.Error and a *net.DNSError both quote the host).
func transportFailure(err error) (kind, msg string) {
	var ne net.Error
	var dns *net.DNSError
	var cert *tls.CertificateVerificationError
	var rec tls.RecordHeaderError
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return classify.RemoteTimeout, "no answer in time"
	case errors.Is(err, syscall.ECONNREFUSED):
		return classify.RemoteUnreachable, "the model server could not be reached: connection refused"
	case errors.As(err, &dns):
		return classify.RemoteUnreachable, "the model server could not be reached: its host name does not resolve"
	case errors.As(err, &cert), errors.As(err, &rec):
		return classify.RemoteUnreachable, "the model server could not be reached: the TLS handshake failed"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return classify.RemoteFailed, "the model server closed the connection before answering"
	}
	return classify.RemoteUnreachable, "the model server could not be reached"
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
