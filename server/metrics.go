package server

import (
	"context"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/classer-ai/classer-batch/batch"
	"github.com/classer-ai/classer-batch/store"
)

// GET /metrics serves Prometheus' text format from a registry the Server owns (never the
// global default one). It is not behind API-key auth, like /healthz: scrapers rarely hold
// keys, and it tells no account's data (no account or key label anywhere). Put the
// appliance behind a proxy, or keep addr on loopback, if the counts themselves are private.
//
// Metrics:
//
//	classer_http_requests_total{method,route,status}      requests answered, by route template
//	classer_http_request_duration_seconds{method,route}   latency histogram
//	classer_jobs{status}                                   stored jobs by status (read from the store on scrape)
//	classer_batch_lines_total{result="completed|failed"}   lines processed by the pipeline, as checkpointed
//	classer_batch_tokens_total                             tokens of checkpointed batch lines
//	classer_realtime_texts_total, classer_realtime_tokens_total   real-time classification throughput
//	classer_upload_bytes_total                             bytes received by the appliance's own upload endpoint
//	classer_rate_limited_total{limit="requests|tokens"}    requests refused with 429
//
// plus the standard go_* and process_* collectors. The batch line and token counters come
// from totals the store keeps in the same transaction as each checkpoint, so they survive
// restarts and never count a line twice.

type metrics struct {
	reg            *prometheus.Registry
	httpRequests   *prometheus.CounterVec
	httpDuration   *prometheus.HistogramVec
	realtimeTexts  prometheus.Counter
	realtimeTokens prometheus.Counter
	uploadBytes    prometheus.Counter
	rateLimited    *prometheus.CounterVec
}

// JobStatser is what the jobs collector needs; *store.DB satisfies it.
type JobStatser interface {
	JobStats(ctx context.Context) (store.JobStats, error)
}

func newMetrics(st JobStatser) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		reg: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "classer_http_requests_total", Help: "HTTP requests answered, by method, route template and status.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "classer_http_request_duration_seconds", Help: "HTTP request latency, by method and route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"method", "route"}),
		realtimeTexts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classer_realtime_texts_total", Help: "Texts answered by the real-time endpoints (cached answers included).",
		}),
		realtimeTokens: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classer_realtime_tokens_total", Help: "Tokens of the texts answered by the real-time endpoints.",
		}),
		uploadBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "classer_upload_bytes_total", Help: "Bytes of job input received by the appliance's upload endpoint (not uploads that go straight to S3).",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "classer_rate_limited_total", Help: "Requests refused by a rate limit: per key (limit=\"requests\" or \"tokens\"), or per client address after failed authentications (limit=\"auth_failures\").",
		}, []string{"limit"}),
	}
	reg.MustRegister(m.httpRequests, m.httpDuration, m.realtimeTexts, m.realtimeTokens, m.uploadBytes, m.rateLimited,
		newJobCollector(st),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

func (m *metrics) handler() echo.HandlerFunc {
	// ContinueOnError: a store that cannot be read still lets the HTTP and Go metrics out;
	// the failed collector is logged by promhttp's error handling and shows as missing series.
	return echo.WrapHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.reg, // promhttp_metric_handler_errors_total
	}))
}

// observe records every request's route, status and latency. It sits outside logRequests,
// which hands errors to the error handler, so the status is the one the client got.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		route := c.Path()
		if route == "" {
			route = "(no route)"
		}
		method := c.Request().Method
		s.metrics.httpRequests.WithLabelValues(method, route, strconv.Itoa(c.Response().Status)).Inc()
		s.metrics.httpDuration.WithLabelValues(method, route).Observe(time.Since(start).Seconds())
		return err
	}
}

// jobCollector reads job counts and batch totals from the store at scrape time, so the
// gauges are never out of step with the database.
type jobCollector struct {
	st                  JobStatser
	jobs, lines, tokens *prometheus.Desc
}

// scrapeTimeout bounds the store read of one scrape.
const scrapeTimeout = 5 * time.Second

func newJobCollector(st JobStatser) *jobCollector {
	return &jobCollector{
		st:     st,
		jobs:   prometheus.NewDesc("classer_jobs", "Batch jobs in the database, by status.", []string{"status"}, nil),
		lines:  prometheus.NewDesc("classer_batch_lines_total", "Batch lines processed (as checkpointed), by result.", []string{"result"}, nil),
		tokens: prometheus.NewDesc("classer_batch_tokens_total", "Tokens of checkpointed batch lines.", nil, nil),
	}
}

func (j *jobCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- j.jobs
	ch <- j.lines
	ch <- j.tokens
}

func (j *jobCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := j.st.JobStats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(j.jobs, err)
		return
	}
	for _, s := range []batch.Status{batch.StatusPending, batch.StatusProcessing, batch.StatusCompleted, batch.StatusFailed} {
		ch <- prometheus.MustNewConstMetric(j.jobs, prometheus.GaugeValue, float64(st.ByStatus[s]), string(s))
	}
	ch <- prometheus.MustNewConstMetric(j.lines, prometheus.CounterValue, float64(st.Totals.LinesCompleted), "completed")
	ch <- prometheus.MustNewConstMetric(j.lines, prometheus.CounterValue, float64(st.Totals.LinesFailed), "failed")
	ch <- prometheus.MustNewConstMetric(j.tokens, prometheus.CounterValue, float64(st.Totals.Tokens))
}

var _ prometheus.Collector = (*jobCollector)(nil)
