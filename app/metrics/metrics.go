// Package metrics holds the Prometheus metrics of a Backupchecks process and serves
// them (opt-in: METRICS_LISTEN_ADDR or METRICS_TOKEN). Events are counted where they
// happen (ObserveRequest, ObserveJob, ObserveImport); what is a state rather than an
// event (River's queues, the database pool, open live streams) is read when scraped.
//
// Every process counts its own events: Prometheus scrapes each web replica and worker
// and sums them. The queue depths come from the shared database, so every process
// reports the same figures (take max, not sum, across processes).
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "backupchecks"

// Sources are the background sources whose passes are counted, so that each has its
// series (at zero) from the start. A new source adds its name here and calls
// ObserveImport after each pass.
var Sources = []string{
	"graph",    // Microsoft Graph mailbox (jobs/mail_import.go)
	"imap",     // IMAP mailbox (jobs/mail_import.go)
	"cove",     // Cove Data Protection accounts (jobs/cove_import.go)
	"autotask", // Autotask ticket sync (jobs/autotask_sync.go)
}

// JobOutcomes are the outcomes ObserveJob counts.
const (
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"    // River retries it
	OutcomeDiscarded = "discarded" // failed for the last time
	OutcomeCancelled = "cancelled"
	OutcomeSnoozed   = "snoozed"
)

var (
	httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by method, route pattern (as in the route table) and status code.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"method", "route", "code"})

	jobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Name: "river_job_duration_seconds",
		Help:    "Time a background job's attempt took, by kind and outcome.",
		Buckets: []float64{.01, .05, .25, 1, 5, 15, 60, 300, 1800},
	}, []string{"kind", "outcome"})

	imports = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "imports_total",
		Help: "Import passes by source and result (ok or error).",
	}, []string{"source", "result"})

	imported = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "imported_items_total",
		Help: "Items an import pass took in, by source (mails fetched; accounts read for cove; tickets checked for autotask).",
	}, []string{"source"})

	lastImport = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "last_import_timestamp_seconds",
		Help: "When this process last finished an import pass of the source, by result.",
	}, []string{"source", "result"})
)

func init() {
	for _, s := range Sources {
		imports.WithLabelValues(s, "ok")
		imports.WithLabelValues(s, "error")
		imported.WithLabelValues(s)
	}
}

// ObserveRequest records one answered HTTP request. route is the route table's
// pattern ("/inbox/:id"), never the raw path, so that ids do not make new series.
func ObserveRequest(method, route string, status int, d time.Duration) {
	httpDuration.WithLabelValues(method, route, strconv.Itoa(status)).Observe(d.Seconds())
}

// ObserveJob records the outcome of one attempt of a background job.
func ObserveJob(kind, outcome string, d time.Duration) {
	jobDuration.WithLabelValues(kind, outcome).Observe(d.Seconds())
}

// ObserveImport records one import pass of a source: how many items it took in and
// whether it failed.
func ObserveImport(source string, items int, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	imports.WithLabelValues(source, result).Inc()
	if items > 0 {
		imported.WithLabelValues(source).Add(float64(items))
	}
	lastImport.WithLabelValues(source, result).SetToCurrentTime()
}

// Process is what a process exposes beside its event counters; nil fields are left out.
type Process struct {
	Pool *pgxpool.Pool // the shared pool: its usage, and River's queues read through it
	// LiveClients counts the open live-update streams (live.Hub.Subscribers).
	LiveClients func() int
}

// Handler serves the metrics of this process in Prometheus' text format.
func Handler(p Process) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		httpDuration, jobDuration, imports, imported, lastImport,
	)
	if p.Pool != nil {
		reg.MustRegister(poolCollector{p.Pool}, queueCollector{p.Pool})
	}
	if p.LiveClients != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: namespace, Name: "live_clients",
			Help: "Open live-update (SSE) streams of this process.",
		}, func() float64 { return float64(p.LiveClients()) }))
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// poolCollector reports the pgx pool's use: a pool that is always fully acquired, or
// whose acquires wait, is too small for the load.
type poolCollector struct{ pool *pgxpool.Pool }

var (
	poolConns = prometheus.NewDesc(namespace+"_db_pool_connections",
		"Connections of the database pool by state (acquired, idle, constructing) and its maximum (max).", []string{"state"}, nil)
	poolAcquires = prometheus.NewDesc(namespace+"_db_pool_acquires_total",
		"Connections taken from the pool; waited: those that had to wait for one; canceled: those given up.", []string{"kind"}, nil)
	poolAcquireWait = prometheus.NewDesc(namespace+"_db_pool_acquire_wait_seconds_total",
		"Total time spent waiting for a pool connection.", nil, nil)
)

func (poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- poolConns
	ch <- poolAcquires
	ch <- poolAcquireWait
}

func (c poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.AcquiredConns()), "acquired")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.IdleConns()), "idle")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.ConstructingConns()), "constructing")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.MaxConns()), "max")
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.AcquireCount()), "all")
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.EmptyAcquireCount()), "waited")
	ch <- prometheus.MustNewConstMetric(poolAcquires, prometheus.CounterValue, float64(s.CanceledAcquireCount()), "canceled")
	ch <- prometheus.MustNewConstMetric(poolAcquireWait, prometheus.CounterValue, s.AcquireDuration().Seconds())
}

// queueCollector reports River's jobs waiting or running, by queue, kind and state,
// from the shared river_job table (finished jobs are not counted: River deletes them
// after a while).
type queueCollector struct{ pool *pgxpool.Pool }

var (
	queueJobs = prometheus.NewDesc(namespace+"_river_jobs",
		"Background jobs not finished yet, by queue, kind and state (available, scheduled, retryable, running).", []string{"queue", "kind", "state"}, nil)
	queueOldest = prometheus.NewDesc(namespace+"_river_oldest_available_seconds",
		"Age of the oldest job that could run now but has not started, by queue: grows when the workers fall behind.", []string{"queue"}, nil)
)

// scrapeTimeout bounds the queue query so that a slow database never hangs a scrape.
const scrapeTimeout = 5 * time.Second

func (queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- queueJobs
	ch <- queueOldest
}

func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	rows, err := c.pool.Query(ctx, `
		SELECT queue, kind, state::text, count(*),
		       coalesce(extract(epoch FROM now() - min(scheduled_at) FILTER (WHERE state = 'available')), 0)
		FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running')
		GROUP BY queue, kind, state`)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(queueJobs, err)
		return
	}
	defer rows.Close()
	oldest := map[string]float64{}
	for rows.Next() {
		var queue, kind, state string
		var n int64
		var age float64
		if err := rows.Scan(&queue, &kind, &state, &n, &age); err != nil {
			ch <- prometheus.NewInvalidMetric(queueJobs, err)
			return
		}
		ch <- prometheus.MustNewConstMetric(queueJobs, prometheus.GaugeValue, float64(n), queue, kind, state)
		oldest[queue] = max(oldest[queue], age)
	}
	if err := rows.Err(); err != nil {
		ch <- prometheus.NewInvalidMetric(queueJobs, err)
		return
	}
	for queue, age := range oldest {
		ch <- prometheus.MustNewConstMetric(queueOldest, prometheus.GaugeValue, age, queue)
	}
}
