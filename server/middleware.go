package server

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/store"
)

const ctxKeyAPIKey = "classer.api_key"

// maxRequestIDLen bounds an incoming X-Request-ID; longer or odd ones are replaced.
const maxRequestIDLen = 128

// sanitizeRequestID drops an incoming X-Request-ID that is not a short token, so that a
// client cannot inject arbitrary bytes into our logs and response headers; the RequestID
// middleware then generates a fresh one.
func sanitizeRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if id := h.Get(echo.HeaderXRequestID); id != "" && !saneRequestID(id) {
			h.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

func saneRequestID(id string) bool {
	if len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z', ch >= '0' && ch <= '9':
		case ch == '-' || ch == '_' || ch == '.' || ch == ':':
		default:
			return false
		}
	}
	return true
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// quietRoutes are logged at debug level when they succeed: the real-time endpoints, health
// probes and metrics scrapes come many times a second (an info line for each was a tenth of
// the server's CPU at 10,000 req/s, and floods the log), and /metrics already counts them by
// route, status and latency. Their failures are logged like any other request's.
var quietRoutes = map[string]bool{
	"/v1/classify": true, "/v1/tag": true, "/v1/classify/batch": true, "/v1/tag/batch": true,
	"/healthz": true, "/readyz": true, "/metrics": true,
}

// logRequests logs one line per request. It passes a handler's error to the error handler
// itself so the logged status is the one the client got. Headers are never logged: they
// carry the API key.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		req, res := c.Request(), c.Response()
		route := c.Path()
		if route == "" {
			route = "(no route)"
		}
		level := slog.LevelInfo
		switch {
		case res.Status >= http.StatusInternalServerError:
			level = slog.LevelError
		case res.Status < http.StatusBadRequest && quietRoutes[route]:
			level = slog.LevelDebug
		}
		if !s.log.Enabled(req.Context(), level) {
			return nil
		}
		attrs := []slog.Attr{
			slog.String("method", req.Method),
			slog.String("route", route),
			slog.Int("status", res.Status),
			slog.Duration("latency", time.Since(start)),
			slog.String("request_id", requestID(c)),
			slog.Int64("bytes_out", res.Size),
		}
		if k, ok := c.Get(ctxKeyAPIKey).(*store.Key); ok {
			attrs = append(attrs, slog.String("account", k.Account), slog.String("key_id", k.ID))
		}
		s.log.LogAttrs(req.Context(), level, "http request", attrs...)
		return nil
	}
}

// requireKey authenticates "Authorization: Bearer <key>" and puts the *store.Key into the
// echo context. Missing, malformed, unknown and revoked keys are all 401 INVALID_API_KEY;
// an address with too many failures is refused before its key is looked at (ratelimit.go).
func (s *Server) requireKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		addr, now := clientAddr(c.Request()), s.now()
		if st, over := s.authFails.exceeded(addr, now); over {
			return s.authThrottled(c, st, now)
		}
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		if h == "" {
			return unauthorized("missing API key: send Authorization: Bearer <key>")
		}
		scheme, secret, ok := strings.Cut(h, " ")
		secret = strings.TrimSpace(secret)
		if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			s.authFailed(c, addr, now)
			return unauthorized("malformed Authorization header: expected Bearer <key>")
		}
		k, err := s.store.Authenticate(c.Request().Context(), secret)
		if err != nil {
			if errors.Is(err, store.ErrInvalidKey) {
				s.authFailed(c, addr, now)
				return unauthorized("invalid API key")
			}
			return err
		}
		c.Set(ctxKeyAPIKey, k)
		return next(c)
	}
}

// account is the authenticated account; only valid behind requireKey.
func account(c echo.Context) string {
	return apiKey(c).Account
}

// apiKey is the authenticated key; only valid behind requireKey.
func apiKey(c echo.Context) *store.Key {
	return c.Get(ctxKeyAPIKey).(*store.Key)
}
