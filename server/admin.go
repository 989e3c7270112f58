package server

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/classify"
)

// The admin overview (issue 26 item 4): an admin key sees every account's jobs, read-only,
// and the state of the appliance itself.

// fileStore is a store kept in one file (*store.DB), whose size the overview shows; the
// cluster's store is not, and there the size is null.
type fileStore interface {
	FileBytes() (int64, error)
}

// adminJobView is a job as the owner sees it, plus whose it is.
type adminJobView struct {
	jobView
	Account string `json:"account"`
}

type adminJobsResponse struct {
	Data    []adminJobView `json:"data"`
	Total   int            `json:"total"`
	HasMore bool           `json:"has_more"`
}

// handleAdminJobs answers GET /v1/admin/jobs?offset=N&limit=M: every account's jobs,
// newest first. Nothing here changes a job: an admin acts on a job with its owner's key.
func (s *Server) handleAdminJobs(c echo.Context) error {
	offset, err := queryInt(c, "offset", 0, 0, 1<<31-1)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", defaultListLimit, 1, maxListLimit)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	jobs, total, err := s.store.AllJobs(ctx, offset, limit)
	if err != nil {
		return fmt.Errorf("listing every account's jobs: %w", err)
	}
	resp := adminJobsResponse{Data: make([]adminJobView, 0, len(jobs)), Total: total, HasMore: offset+len(jobs) < total}
	for i, v := range s.viewJobs(ctx, jobs...) {
		resp.Data = append(resp.Data, adminJobView{jobView: v, Account: jobs[i].Account})
	}
	return writeJSON(c, http.StatusOK, resp)
}

// queryInt reads an optional integer query parameter within [lo, hi] (422 naming it).
func queryInt(c echo.Context, name string, def, lo, hi int) (int, error) {
	q := c.QueryParam(name)
	if q == "" {
		return def, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < lo || n > hi {
		return 0, validationError(name, fmt.Sprintf("%s must be an integer from %d to %d", name, lo, hi))
	}
	return n, nil
}

type systemView struct {
	Version       string               `json:"version"`
	Commit        string               `json:"commit"`
	UptimeSeconds int64                `json:"uptime_seconds"`
	Storage       storageView          `json:"storage"`
	DatabaseBytes *int64               `json:"database_bytes"`
	Models        []classify.ModelInfo `json:"models"`
	Queue         queueView            `json:"queue"`
}

type storageView struct {
	Kind      string `json:"kind"` // local or s3
	FreeBytes *int64 `json:"free_bytes"`
}

// queueView counts jobs: active are running in this process now; queued were started
// (the store says processing) but no runner works on them yet; pending were created and
// not started.
type queueView struct {
	Active  int `json:"active"`
	Pending int `json:"pending"`
	Queued  int `json:"queued"`
}

// handleAdminSystem answers GET /v1/admin/system. Every figure is read when asked: a
// free-space number from a cache would hide the disk filling up.
func (s *Server) handleAdminSystem(c echo.Context) error {
	ctx := c.Request().Context()
	v := systemView{
		Version:       s.cfg.Version.Version,
		Commit:        s.cfg.Version.Commit,
		UptimeSeconds: int64(s.now().Sub(s.started) / time.Second),
		Storage:       storageView{Kind: "s3"},
		Models:        s.modelInfos(ctx),
	}
	if s.local != nil {
		v.Storage.Kind = "local"
	}
	if f, ok := s.blobs.(interface{ FreeBytes() (int64, error) }); ok {
		if n, err := f.FreeBytes(); err != nil {
			s.log.WarnContext(ctx, "free space of the object storage", "err", err)
		} else {
			v.Storage.FreeBytes = &n
		}
	}
	if st, ok := s.store.(fileStore); ok {
		n, err := st.FileBytes()
		if err != nil {
			return fmt.Errorf("database size: %w", err)
		}
		v.DatabaseBytes = &n
	}
	stats, err := s.store.JobStats(ctx)
	if err != nil {
		return fmt.Errorf("counting jobs: %w", err)
	}
	processing := stats.ByStatus[batch.StatusProcessing]
	v.Queue = queueView{Active: processing, Pending: stats.ByStatus[batch.StatusPending]}
	if r, ok := s.runner.(interface{ Running() int }); ok {
		v.Queue.Active = min(r.Running(), processing)
		v.Queue.Queued = processing - v.Queue.Active
	}
	return writeJSON(c, http.StatusOK, v)
}
