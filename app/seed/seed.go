// Package seed generates a realistic dataset — customers, jobs of mixed vendors and
// schedules, years of runs with objects — for demos and benchmarks (`backupchecks
// seed`). Everything is set-based SQL (generate_series), so millions of runs take
// minutes, not hours.
package seed

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"
)

// Options size the dataset.
type Options struct {
	Customers int
	Jobs      int
	Days      int       // days of history before Now
	Now       time.Time // the end of the history
	Timezone  string    // IANA zone the schedules are in
}

// Result counts what was generated.
type Result struct {
	Customers int64
	Jobs      int64
	Runs      int64
}

// Generate adds the dataset to the database (existing data stays). Job names, senders
// and Message-IDs carry a "seed" marker so they never collide with real ones.
func Generate(ctx context.Context, idb bun.IDB, o Options) (Result, error) {
	var res Result
	steps := []struct {
		what  string
		query string
		args  []any
		count *int64
	}{
		{"customers", `
			INSERT INTO customers (name, active)
			SELECT format('Seed customer %s', lpad(g::text, 5, '0')), g % 50 <> 0
			FROM generate_series(1, ?) g
			ON CONFLICT DO NOTHING`, []any{o.Customers}, &res.Customers},
		// Vendors, types and schedules rotate; times spread over the evening and night.
		// A job exists since the start of its history.
		{"jobs", `
			WITH c AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM customers WHERE name LIKE 'Seed customer %'),
			     nc AS (SELECT count(*) AS n FROM c),
			     v(k, software, type) AS (VALUES
			        (0, 'Veeam Backup & Replication', 'Backup Job'), (1, 'Synology', 'Hyper Backup'),
			        (2, 'Synology', 'Active Backup for Business'), (3, 'NAKIVO Backup & Replication', 'Backup Job'),
			        (4, 'Veeam Agent for Microsoft Windows', 'Agent Backup Job'), (5, 'Acronis Cyber Protect', 'Backup'),
			        (6, 'QNAP Hybrid Backup Sync', 'Backup Job'), (7, 'Windows Server Backup', 'Server Backup'))
			INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, from_address, learned_schedule, schedule_learned_at, created_at)
			SELECT c.id, format('Seed job %s', lpad(g::text, 6, '0')), v.software, v.type,
			       format('backup%s@seed.example.net', g % 997),
			       CASE WHEN g % 10 < 7 THEN jsonb_build_object('kind', 'daily', 'time', t.hhmm)
			            WHEN g % 10 < 9 THEN jsonb_build_object('kind', 'weekly', 'weekdays', jsonb_build_array(1, 2, 3, 4, 5), 'time', t.hhmm)
			            ELSE jsonb_build_object('kind', 'weekly', 'weekdays', jsonb_build_array(6), 'time', t.hhmm) END,
			       now(), ?::timestamptz - ?::int * interval '1 day'
			FROM generate_series(1, ?) g
			JOIN c ON c.n = 1 + (g - 1) % (SELECT n FROM nc)
			JOIN v ON v.k = g % 8
			CROSS JOIN LATERAL (SELECT lpad(((18 + g % 10) % 24)::text, 2, '0') || ':' || lpad(((g * 7) % 12 * 5)::text, 2, '0') AS hhmm) t
			ON CONFLICT DO NOTHING`, []any{o.Now, o.Days, o.Jobs}, &res.Jobs},
		// One run per expected slot up to Now (today's too, as a real installation has
		// the night's runs in the morning); about 1% never came (left for missed-run
		// generation). Runs older than two days are reviewed, as an MSP's history would be.
		{"runs", `
			INSERT INTO job_runs (job_id, status, source_type, external_id, run_at, started_at, ended_at, message, reviewed_at)
			SELECT j.id,
			       CASE WHEN h < 90 THEN 'Success' WHEN h < 96 THEN 'Warning' ELSE 'Failed' END,
			       'email', format('seed:%s:%s', j.id, d::date), at, at, at + interval '25 minutes',
			       CASE WHEN h >= 96 THEN 'Seed failure: target unreachable' END,
			       CASE WHEN at < ?::timestamptz - interval '2 days' THEN at + interval '10 hours' END
			FROM jobs j
			CROSS JOIN generate_series(?::date - ?::int, ?::date, interval '1 day') d
			CROSS JOIN LATERAL (SELECT (d::date + (j.learned_schedule->>'time')::time) AT TIME ZONE ? AS at,
			                           abs(hashint8(j.id * 100000 + (d::date - date '2000-01-01'))) % 100 AS h) x
			WHERE j.job_name LIKE 'Seed job %'
			  AND schedule_runs_on(j.learned_schedule, d::date)
			  AND abs(hashint8(j.id * 7 + (d::date - date '2000-01-01'))) % 100 <> 0
			  AND x.at < ?::timestamptz
			ON CONFLICT DO NOTHING`, []any{o.Now, o.Now, o.Days, o.Now, o.Timezone, o.Now}, &res.Runs},
		{"objects", `
			INSERT INTO customer_objects (customer_id, object_name, object_type)
			SELECT j.customer_id, format('srv-%s-%s', j.id, k), 'VM'
			FROM jobs j CROSS JOIN generate_series(1, 3) k WHERE j.job_name LIKE 'Seed job %'
			ON CONFLICT DO NOTHING`, nil, nil},
		{"job objects", `
			INSERT INTO job_object_links (job_id, customer_object_id)
			SELECT j.id, co.id FROM jobs j JOIN customer_objects co ON co.customer_id = j.customer_id
			  AND co.object_name LIKE format('srv-%s-%%', j.id)
			WHERE j.job_name LIKE 'Seed job %'
			ON CONFLICT DO NOTHING`, nil, nil},
		// Object results for the last week only: enough for the pages, far fewer rows.
		{"run objects", `
			INSERT INTO run_object_links (job_run_id, customer_object_id, status, error_message)
			SELECT r.id, l.customer_object_id, CASE WHEN r.status = 'Success' THEN 'Success' ELSE r.status END,
			       CASE WHEN r.status <> 'Success' THEN r.message END
			FROM job_runs r JOIN job_object_links l ON l.job_id = r.job_id
			WHERE r.external_id LIKE 'seed:%' AND r.run_at >= ?::timestamptz - interval '7 days'
			ON CONFLICT DO NOTHING`, []any{o.Now}, nil},
		{"job summaries", `
			UPDATE jobs j SET
			  unreviewed_count = s.unreviewed, worst_unreviewed_status = s.worst,
			  last_run_at = s.last_at, last_run_status = s.last_status
			FROM (SELECT job_id,
			             count(*) FILTER (WHERE reviewed_at IS NULL) AS unreviewed,
			             (array_agg(status ORDER BY status_severity(status) DESC) FILTER (WHERE reviewed_at IS NULL))[1] AS worst,
			             max(run_at) AS last_at,
			             (array_agg(status ORDER BY run_at DESC))[1] AS last_status
			      FROM job_runs WHERE external_id LIKE 'seed:%' GROUP BY job_id) s
			WHERE j.id = s.job_id`, nil, nil},
	}
	for _, s := range steps {
		start := time.Now()
		r, err := idb.ExecContext(ctx, s.query, s.args...)
		if err != nil {
			return res, fmt.Errorf("seed: %s: %w", s.what, err)
		}
		n, _ := r.RowsAffected()
		if s.count != nil {
			*s.count = n
		}
		slog.Info("seed: generated", "what", s.what, "rows", n, "took", time.Since(start).Round(time.Millisecond))
	}
	if _, err := idb.ExecContext(ctx, "ANALYZE customers, jobs, job_runs, customer_objects, job_object_links, run_object_links"); err != nil {
		return res, fmt.Errorf("seed: analyze: %w", err)
	}
	return res, nil
}
