package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// ClusterStatus reports the cluster for GET /v1/cluster (cluster mode only).
type ClusterStatus interface {
	ClusterStatus(ctx context.Context) (any, error)
}

// handleCluster is GET /v1/cluster (admin): the cluster's processes, their roles and
// worker slots, and the work queue's depth. A single node answers 501.
func (s *Server) handleCluster(c echo.Context) error {
	if s.cfg.Cluster == nil {
		return fmt.Errorf("this appliance is a single node (cluster.enabled is off): %w", errors.ErrUnsupported)
	}
	st, err := s.cfg.Cluster.ClusterStatus(c.Request().Context())
	if err != nil {
		return fmt.Errorf("cluster status: %w", err)
	}
	return c.JSON(http.StatusOK, st)
}
