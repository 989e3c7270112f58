package server

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/store"
)

// Keys API (DESIGN.md §2): admin keys manage every account's keys. A new key's secret is
// in the create response only; the store keeps its hash.

// maxAccountLen bounds an account name created through the API.
const maxAccountLen = 64

type keyView struct {
	ID        string  `json:"id"`
	Account   string  `json:"account"`
	Prefix    string  `json:"prefix"`
	Admin     bool    `json:"admin"`
	CreatedAt *string `json:"created_at"`
	RevokedAt *string `json:"revoked_at"`
	// Key is the secret, set only in the create response.
	Key string `json:"key,omitempty"`
}

func viewKey(k *store.Key) keyView {
	return keyView{ID: k.ID, Account: k.Account, Prefix: k.Prefix, Admin: k.Admin,
		CreatedAt: timeOrNull(k.CreatedAt), RevokedAt: timeOrNull(k.RevokedAt)}
}

// requireAdmin lets only admin keys through (403 FORBIDDEN otherwise); it runs after requireKey.
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !apiKey(c).Admin {
			return forbidden("this endpoint needs an admin key")
		}
		return next(c)
	}
}

// validAPIAccount: letters, digits, '.', '-', '_', 1..64, so that account names stay
// readable in logs, URLs and usage reports.
func validAPIAccount(a string) bool {
	if a == "" || len(a) > maxAccountLen {
		return false
	}
	for i := 0; i < len(a); i++ {
		c := a[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func (s *Server) handleListKeys(c echo.Context) error {
	keys, err := s.store.Keys(c.Request().Context())
	if err != nil {
		return fmt.Errorf("listing keys: %w", err)
	}
	filter := c.QueryParam("account")
	resp := struct {
		Data []keyView `json:"data"`
	}{Data: make([]keyView, 0, len(keys))}
	for _, k := range keys {
		if filter == "" || k.Account == filter {
			resp.Data = append(resp.Data, viewKey(k))
		}
	}
	return writeJSON(c, http.StatusOK, resp)
}

func (s *Server) handleCreateKey(c echo.Context) error {
	var req struct {
		Account string `json:"account"`
		Admin   bool   `json:"admin"`
	}
	if err := s.decodeJSON(c, &req); err != nil {
		return err
	}
	if !validAPIAccount(req.Account) {
		return validationError("account", fmt.Sprintf("account must be 1 to %d characters of letters, digits, '.', '-' and '_'", maxAccountLen))
	}
	secret, k, err := s.store.CreateKey(c.Request().Context(), req.Account, req.Admin)
	if err != nil {
		return fmt.Errorf("creating key: %w", err)
	}
	v := viewKey(k)
	v.Key = secret
	s.log.InfoContext(c.Request().Context(), "api key created", "request_id", requestID(c),
		"key_id", k.ID, "account", k.Account, "admin", k.Admin, "by", apiKey(c).ID)
	// The secret must not linger in shared caches.
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return writeJSON(c, http.StatusCreated, v)
}

func (s *Server) handleRevokeKey(c echo.Context) error {
	id := c.Param("id")
	k, err := s.store.Revoke(c.Request().Context(), id)
	if err != nil {
		if errors.Is(err, batch.ErrNotFound) {
			return notFound(fmt.Sprintf("key %q not found", id))
		}
		return fmt.Errorf("revoking key: %w", err)
	}
	s.log.InfoContext(c.Request().Context(), "api key revoked", "request_id", requestID(c),
		"key_id", k.ID, "account", k.Account, "by", apiKey(c).ID)
	return writeJSON(c, http.StatusOK, viewKey(k))
}
