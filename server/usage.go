package server

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/store"
)

// Usage (DESIGN.md §2): per account and UTC day, real-time requests and tokens, and batch
// jobs, lines and tokens. Real-time calls are booked by the handler right before it
// answers; a batch job is booked by the store in the transaction that marks it completed
// (store.UpdateJob), so its tokens are exactly its actual_tokens.

const (
	defaultUsageDays = 30
	maxUsageDays     = 366
)

type usageView struct {
	Date           string  `json:"date,omitempty"`
	Tokens         int64   `json:"tokens"`
	RealtimeTokens int64   `json:"realtime_tokens"`
	BatchTokens    int64   `json:"batch_tokens"`
	Requests       int64   `json:"requests"`
	BatchLines     int64   `json:"batch_lines"`
	Jobs           int64   `json:"jobs"`
	Cost           float64 `json:"cost"`
}

func (s *Server) viewUsage(date string, u store.Usage) usageView {
	return usageView{Date: date, Tokens: u.Tokens(), RealtimeTokens: u.RealtimeTokens, BatchTokens: u.BatchTokens,
		Requests: u.Requests, BatchLines: u.BatchLines, Jobs: u.Jobs, Cost: s.cost(u.Tokens())}
}

// cost is tokens at the configured price, rounded to 1e-10 so that float noise does not
// show (a single token at 0.08 per million is 8e-8).
func (s *Server) cost(tokens int64) float64 {
	return math.Round(float64(tokens)*s.price/1e6*1e10) / 1e10
}

type usageResponse struct {
	Account               string      `json:"account"`
	From                  string      `json:"from"`
	To                    string      `json:"to"`
	PricePerMillionTokens float64     `json:"price_per_million_tokens"`
	Data                  []usageView `json:"data"`
	Total                 usageView   `json:"total"`
}

// handleUsage answers GET /v1/usage?from=YYYY-MM-DD&to=YYYY-MM-DD (both inclusive, UTC;
// default the last 30 days). Only days with usage are listed. An admin key may pass
// account= to see another account; any other key gets 403 for a foreign account.
func (s *Server) handleUsage(c echo.Context) error {
	acct := account(c)
	if a := c.QueryParam("account"); a != "" && a != acct {
		if !apiKey(c).Admin {
			return forbidden("only an admin key can read another account's usage")
		}
		acct = a
	}
	today := s.now().Truncate(24 * time.Hour)
	to, err := parseDate(c, "to", today)
	if err != nil {
		return err
	}
	from, err := parseDate(c, "from", to.AddDate(0, 0, -(defaultUsageDays-1)))
	if err != nil {
		return err
	}
	if from.After(to) {
		return validationError("from", "from must not be after to")
	}
	if days := int(to.Sub(from).Hours()/24) + 1; days > maxUsageDays {
		return validationError("from", fmt.Sprintf("the range spans %d days; at most %d are allowed", days, maxUsageDays))
	}
	if err := s.usage.flush(c.Request().Context()); err != nil {
		return err
	}
	days, err := s.store.UsageRange(c.Request().Context(), acct, from, to)
	if err != nil {
		return fmt.Errorf("reading usage: %w", err)
	}
	resp := usageResponse{Account: acct, From: from.Format(store.DateLayout), To: to.Format(store.DateLayout),
		PricePerMillionTokens: s.price, Data: make([]usageView, 0, len(days))}
	var total store.Usage
	for _, d := range days {
		resp.Data = append(resp.Data, s.viewUsage(d.Date, d.Usage))
		total.Requests += d.Requests
		total.RealtimeTokens += d.RealtimeTokens
		total.BatchTokens += d.BatchTokens
		total.BatchLines += d.BatchLines
		total.Jobs += d.Jobs
	}
	resp.Total = s.viewUsage("", total)
	return writeJSON(c, http.StatusOK, resp)
}

func parseDate(c echo.Context, name string, def time.Time) (time.Time, error) {
	q := c.QueryParam(name)
	if q == "" {
		return def, nil
	}
	t, err := time.Parse(store.DateLayout, q)
	if err != nil {
		return time.Time{}, validationError(name, fmt.Sprintf("%s must be a date as YYYY-MM-DD, got %q", name, q))
	}
	return t, nil
}

// recordRealtime books one answered real-time request and its tokens in the usage book
// (written in batches; reads of usage flush it first, so a client that reads its usage
// right after sees the call).
func (s *Server) recordRealtime(c echo.Context, tokens int) {
	s.usage.add(account(c), s.now(), store.Usage{Requests: 1, RealtimeTokens: int64(tokens)})
	if s.usage.due(time.Now()) {
		ctx := context.WithoutCancel(c.Request().Context())
		if err := s.usage.flush(ctx); err != nil {
			s.log.ErrorContext(ctx, "recording usage", "request_id", requestID(c), "err", err)
		}
	}
}
