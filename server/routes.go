package server

import (
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/classer-ai/classer-batch/web"
)

// route is one row of the routing table.
type route struct {
	method  string
	path    string
	handler echo.HandlerFunc
	auth    bool // behind Authorization: Bearer <key> and the per-key rate limit
	admin   bool // and an admin key (implies auth)
}

// routes is every route of the API in one table (miniflux api.go style). The /_blob routes
// exist only with a blob backend that serves its own signed URLs; they are not behind API-key
// auth because the URL's signature is the credential.
func (s *Server) routes() []route {
	page := echo.WrapHandler(web.Handler())
	rs := []route{
		{http.MethodGet, "/", page, false, false},
		{http.MethodHead, "/", page, false, false},
		{http.MethodGet, "/healthz", s.handleHealthz, false, false},
		{http.MethodGet, "/readyz", s.handleReadyz, false, false},
		{http.MethodGet, "/metrics", s.metrics.handler(), false, false}, // metrics.go: why unauthenticated
		{http.MethodGet, "/v1/version", s.handleVersion, false, false},
		{http.MethodGet, "/openapi.json", s.handleOpenAPI, false, false},

		{http.MethodPost, "/v1/classify", s.handleClassify, true, false},
		{http.MethodPost, "/v1/tag", s.handleTag, true, false},
		{http.MethodPost, "/v1/classify/batch", s.handleClassifyBatch, true, false},
		{http.MethodPost, "/v1/tag/batch", s.handleTagBatch, true, false},

		{http.MethodPost, "/v1/batch", s.handleCreateJob, true, false},
		{http.MethodGet, "/v1/batch", s.handleListJobs, true, false},
		{http.MethodGet, "/v1/batch/:id", s.handleGetJob, true, false},
		{http.MethodPatch, "/v1/batch/:id", s.handlePatchJob, true, false},
		{http.MethodPost, "/v1/batch/:id/preview", s.handlePreviewJob, true, false},
		{http.MethodGet, "/v1/batch/:id/lines", s.handleJobLines, true, false},
		{http.MethodPost, "/v1/preview", s.handlePreview, true, false},
		{http.MethodPost, "/v1/batch/:id/start", s.handleStartJob, true, false},
		{http.MethodPost, "/v1/batch/:id/cancel", s.handleCancelJob, true, false},
		{http.MethodGet, "/v1/batch/:id/results", s.handleJobResults, true, false},
		{http.MethodDelete, "/v1/batch/:id", s.handleDeleteJob, true, false},
		{http.MethodPut, "/v1/batch/:id/lines/:index/review", s.handlePutReview, true, false},
		{http.MethodDelete, "/v1/batch/:id/lines/:index/review", s.handleDeleteReview, true, false},
		{http.MethodGet, "/v1/batch/:id/reviews", s.handleListReviews, true, false},
		{http.MethodGet, "/v1/batch/:id/review-queue", s.handleReviewQueue, true, false},
		{http.MethodPost, "/v1/batch/:id/rerun", s.handleRerun, true, false},
		{http.MethodGet, "/v1/batch/:id/changes", s.handleChanges, true, false},

		{http.MethodPost, "/v1/classifiers", s.handleSaveClassifier, true, false},
		{http.MethodGet, "/v1/classifiers", s.handleListClassifiers, true, false},
		{http.MethodGet, "/v1/classifiers/:name", s.handleGetClassifier, true, false},
		{http.MethodDelete, "/v1/classifiers/:name", s.handleDeleteClassifier, true, false},

		{http.MethodGet, "/v1/usage", s.handleUsage, true, false},
		{http.MethodGet, "/v1/models", s.handleModels, true, false},

		{http.MethodGet, "/v1/keys", s.handleListKeys, true, true},
		{http.MethodPost, "/v1/keys", s.handleCreateKey, true, true},
		{http.MethodDelete, "/v1/keys/:id", s.handleRevokeKey, true, true},

		{http.MethodGet, "/v1/admin/backup", s.handleBackup, true, true},
		{http.MethodGet, "/v1/admin/jobs", s.handleAdminJobs, true, true},
		{http.MethodGet, "/v1/admin/system", s.handleAdminSystem, true, true},
		{http.MethodGet, "/v1/cluster", s.handleCluster, true, true},
	}
	if s.local != nil {
		rs = append(rs,
			route{http.MethodPost, "/_blob/upload", s.handleBlobUpload, false, false},
			route{http.MethodGet, "/_blob/download/*", s.handleBlobDownload, false, false},
			route{http.MethodHead, "/_blob/download/*", s.handleBlobDownload, false, false},
		)
	}
	return rs
}

func (s *Server) newRouter() *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError

	// Outermost first: the request id exists before anything can fail, the logger sees the
	// final status (it hands errors to the error handler itself) and the metrics see it
	// after the logger, and Recover turns a panic into a 500 inside the logged request.
	e.Use(
		sanitizeRequestID,
		middleware.RequestIDWithConfig(middleware.RequestIDConfig{TargetHeader: echo.HeaderXRequestID}),
		s.observe,
		s.logRequests,
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				s.log.ErrorContext(c.Request().Context(), "panic in handler",
					"request_id", requestID(c), "route", c.Path(), "err", err, "stack", string(stack))
				return err
			},
		}),
	)

	for _, r := range s.routes() {
		var mw []echo.MiddlewareFunc
		if r.auth || r.admin {
			mw = append(mw, s.requireKey, s.rateLimit)
		}
		if r.admin {
			mw = append(mw, s.requireAdmin)
		}
		e.Add(r.method, r.path, r.handler, mw...)
	}
	return e
}
