package server

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"
)

// handleBackup answers GET /v1/admin/backup (admin keys only): a consistent snapshot of the
// database, taken while the appliance keeps serving and jobs keep running (store.Snapshot).
// `classer-batch restore` installs it into a stopped appliance. The objects (inputs,
// results, fitted states) are not in it: README "Backups" says how to copy them, after
// the snapshot. In cluster mode the file is the KV state written as a single node's
// database (kvstore.Snapshot), and the objects stay in S3.
func (s *Server) handleBackup(c echo.Context) error {
	s.extendDeadlines(c)
	ctx := c.Request().Context()
	snap, err := s.store.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("database backup: %w", err)
	}
	defer snap.Close()
	name := "classer-batch-" + snap.TakenAt.Format("20060102T150405Z") + ".db"
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/octet-stream")
	h.Set(echo.HeaderContentLength, strconv.FormatInt(snap.Size, 10))
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	h.Set(echo.HeaderCacheControl, "no-store") // it holds every key's hash and every job
	// RFC 9530: the client can check what it stored against what was taken.
	h.Set("Content-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(snap.SHA256)+":")
	s.log.InfoContext(ctx, "database backup", "request_id", requestID(c), "bytes", snap.Size,
		"by", apiKey(c).ID, "account", apiKey(c).Account)
	c.Response().WriteHeader(http.StatusOK)
	if _, err := io.Copy(c.Response(), snap); err != nil {
		return fmt.Errorf("sending the database backup: %w", err)
	}
	return nil
}
