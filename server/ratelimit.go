package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
)

// Rate limits per API key, in memory, in fixed one-minute windows aligned to the clock's
// minutes. A fixed window is simple to explain in headers (a limit, what remains, when it
// resets) and, for per-minute quotas on an appliance, its worst case — twice the limit
// around a window edge — is acceptable. Limits reset when the process restarts.
//
// Headers: X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (Unix seconds
// when the window ends) describe the request limit on every authenticated response when it
// is set; X-RateLimit-Limit-Tokens and X-RateLimit-Remaining-Tokens describe the token
// limit on classification responses when it is set. A refused request is 429 RATE_LIMITED
// with Retry-After (seconds) and details.limit = "requests" or "tokens".
//
// The token limit is checked before classifying (a key that has used its tokens is
// refused) and charged after, with the call's actual tokens, so one call may overshoot
// it; it applies to the real-time endpoints only, since a batch job's tokens are spent by
// the pipeline long after the request that started it.

type limiter struct {
	requests, tokens int64 // per minute; 0 = unlimited
	// maxIDs, if positive, bounds the ids a window tracks: an id that comes when the table
	// is full is not counted until the next window (memory stays bounded whatever the
	// number of ids a client can make up).
	maxIDs int

	mu      sync.Mutex
	windows map[string]*window // by key id
	sweptAt time.Time
}

type window struct {
	start            time.Time
	requests, tokens int64
}

func newLimiter(requests, tokens int64) *limiter {
	return &limiter{requests: max(requests, 0), tokens: max(tokens, 0), windows: make(map[string]*window)}
}

// current returns key id's window for now, starting a new one when the minute changed.
// Caller holds l.mu.
func (l *limiter) current(id string, now time.Time) *window {
	start := now.Truncate(time.Minute)
	if start.Sub(l.sweptAt) >= time.Minute {
		// Forget keys idle for a whole window so the map stays as small as the set of
		// keys in use.
		for k, w := range l.windows {
			if w.start.Before(start) {
				delete(l.windows, k)
			}
		}
		l.sweptAt = start
	}
	w := l.windows[id]
	if w == nil || !w.start.Equal(start) {
		if w == nil && l.maxIDs > 0 && len(l.windows) >= l.maxIDs {
			return &window{start: start}
		}
		w = &window{start: start}
		l.windows[id] = w
	}
	return w
}

// exceeded reports, without counting anything or making a window, whether id has used
// all its requests in this window.
func (l *limiter) exceeded(id string, now time.Time) (limitState, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	start := now.Truncate(time.Minute)
	w := l.windows[id]
	if w == nil || !w.start.Equal(start) {
		return limitState{reset: start.Add(time.Minute)}, false
	}
	return limitState{w.requests, w.tokens, w.start.Add(time.Minute)}, l.requests > 0 && w.requests >= l.requests
}

// size is the number of ids the limiter holds.
func (l *limiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.windows)
}

// limitState is what the headers report.
type limitState struct {
	requestsUsed, tokensUsed int64
	reset                    time.Time
}

// request counts one request of key id and reports whether it is within the limit.
func (l *limiter) request(id string, now time.Time) (limitState, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.current(id, now)
	if l.requests > 0 && w.requests >= l.requests {
		return limitState{w.requests, w.tokens, w.start.Add(time.Minute)}, false
	}
	w.requests++
	return limitState{w.requests, w.tokens, w.start.Add(time.Minute)}, true
}

// tokensLeft reports whether key id may still spend tokens in this window.
func (l *limiter) tokensLeft(id string, now time.Time) (limitState, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.current(id, now)
	return limitState{w.requests, w.tokens, w.start.Add(time.Minute)}, l.tokens == 0 || w.tokens < l.tokens
}

// spend charges n tokens to key id.
func (l *limiter) spend(id string, n int64, now time.Time) limitState {
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.current(id, now)
	w.tokens += n
	return limitState{w.requests, w.tokens, w.start.Add(time.Minute)}
}

func (l *limiter) enabled() bool { return l.requests > 0 || l.tokens > 0 }

// rateLimit enforces the request limit; it runs after requireKey.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.limits.requests == 0 {
			return next(c)
		}
		now := s.now()
		st, ok := s.limits.request(apiKey(c).ID, now)
		s.setRequestHeaders(c, st)
		if !ok {
			return s.rateLimited(c, "requests", st, now)
		}
		return next(c)
	}
}

// Failed authentications (a key that is wrong, revoked or malformed; not a missing one,
// which guesses nothing) are counted per client address in the same one-minute windows.
// From maxAuthFailures failures in a window, every request from that address that needs a
// key is answered 429 until the window ends, whatever key it carries: were a right key
// let through, the answer would tell a guesser which guess was right. The address is the
// TCP peer's, since X-Forwarded-For can be forged; an IPv6 client is counted by its /64,
// which one host typically holds whole. Behind a reverse proxy every client shares the
// proxy's address.
const (
	maxAuthFailures = 20
	// maxAuthClients bounds the addresses counted per window (about 1 MB when full).
	maxAuthClients = 10000
)

func newAuthLimiter() *limiter {
	l := newLimiter(maxAuthFailures, 0)
	l.maxIDs = maxAuthClients
	return l
}

// clientAddr is the address failed authentications are counted under: the peer's IP, or
// for IPv6 its /64.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// authFailed counts a failed authentication from addr, and logs the failure that reaches
// the limit, once per window.
func (s *Server) authFailed(c echo.Context, addr string, now time.Time) {
	st, _ := s.authFails.request(addr, now)
	if st.requestsUsed == maxAuthFailures {
		s.log.WarnContext(c.Request().Context(), "too many failed authentications; refusing the address until the window ends",
			"request_id", requestID(c), "addr", addr, "failures", st.requestsUsed, "until", st.reset)
	}
}

// authThrottled is the 429 for an address over the failed-authentication limit.
func (s *Server) authThrottled(c echo.Context, st limitState, now time.Time) error {
	retry := int64(st.reset.Sub(now).Seconds() + 0.999)
	c.Response().Header().Set("Retry-After", strconv.FormatInt(max(retry, 1), 10))
	s.metrics.rateLimited.WithLabelValues("auth_failures").Inc()
	return &apiError{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED",
		Message: fmt.Sprintf("too many failed authentications from this address (%d per minute): retry after %d seconds with a valid key",
			maxAuthFailures, max(retry, 1)),
		Details: map[string]any{"limit": "auth_failures"}}
}

func (s *Server) setRequestHeaders(c echo.Context, st limitState) {
	h := c.Response().Header()
	h.Set("X-RateLimit-Limit", strconv.FormatInt(s.limits.requests, 10))
	h.Set("X-RateLimit-Remaining", strconv.FormatInt(max(s.limits.requests-st.requestsUsed, 0), 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(st.reset.Unix(), 10))
}

func (s *Server) setTokenHeaders(c echo.Context, st limitState) {
	if s.limits.tokens == 0 {
		return
	}
	h := c.Response().Header()
	h.Set("X-RateLimit-Limit-Tokens", strconv.FormatInt(s.limits.tokens, 10))
	h.Set("X-RateLimit-Remaining-Tokens", strconv.FormatInt(max(s.limits.tokens-st.tokensUsed, 0), 10))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(st.reset.Unix(), 10))
}

// checkTokens refuses a classification call when the key has used its tokens for this
// window.
func (s *Server) checkTokens(c echo.Context) error {
	if s.limits.tokens == 0 {
		return nil
	}
	now := s.now()
	st, ok := s.limits.tokensLeft(apiKey(c).ID, now)
	s.setTokenHeaders(c, st)
	if !ok {
		return s.rateLimited(c, "tokens", st, now)
	}
	return nil
}

// spendTokens charges a classification call's tokens and sets X-Tokens-Used.
func (s *Server) spendTokens(c echo.Context, tokens int) {
	c.Response().Header().Set("X-Tokens-Used", strconv.Itoa(tokens))
	if s.limits.tokens == 0 {
		return
	}
	s.setTokenHeaders(c, s.limits.spend(apiKey(c).ID, int64(tokens), s.now()))
}

func (s *Server) rateLimited(c echo.Context, which string, st limitState, now time.Time) error {
	retry := int64(st.reset.Sub(now).Seconds() + 0.999) // round up: retrying early is refused again
	c.Response().Header().Set("Retry-After", strconv.FormatInt(max(retry, 1), 10))
	s.metrics.rateLimited.WithLabelValues(which).Inc()
	limit := s.limits.requests
	if which == "tokens" {
		limit = s.limits.tokens
	}
	return &apiError{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED",
		Message: fmt.Sprintf("rate limit of %d %s per minute exceeded for this key", limit, which),
		Details: map[string]any{"limit": which}}
}
