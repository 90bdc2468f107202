package schedule_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/db"
)

// seed generates, set-based, customers and jobs with a mix of schedules stored as
// their learned schedule, and runs of the days before today (Amsterdam time) that
// follow those schedules with ±20 minutes of jitter and 3% of runs missing:
//
//	60% daily between 18:00 and 02:55, 20% Mon–Fri, 8% Mon/Wed/Fri, 4% on the 1st and
//	15th, 3% on the last Friday, 3% irregular (runs on 30% of days), 2% none (no runs).
func seed(tb testing.TB, d *db.DB, customers, jobs, days int, today schedule.Date) {
	tb.Helper()
	err := d.Bun.RunInTx(context.Background(), nil, func(ctx context.Context, tx bun.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"SELECT setseed(0.42)", nil},
			{"INSERT INTO customers (name) SELECT 'Customer ' || g FROM generate_series(1, ?) g", []any{customers}},
			{`INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, learned_schedule, created_at)
				SELECT c.first + g % ?, 'Job ' || g, 'Veeam', 'Backup Job',
				       CASE WHEN g % 100 < 60 THEN jsonb_build_object('kind', 'daily')
				            WHEN g % 100 < 80 THEN jsonb_build_object('kind', 'weekly', 'weekdays', jsonb_build_array(1, 2, 3, 4, 5))
				            WHEN g % 100 < 88 THEN jsonb_build_object('kind', 'weekly', 'weekdays', jsonb_build_array(1, 3, 5))
				            WHEN g % 100 < 92 THEN jsonb_build_object('kind', 'monthly_days', 'month_days', jsonb_build_array(1, 15))
				            WHEN g % 100 < 95 THEN jsonb_build_object('kind', 'monthly_nth', 'nth', -1, 'nth_weekday', 5)
				            WHEN g % 100 < 98 THEN jsonb_build_object('kind', 'irregular')
				            ELSE jsonb_build_object('kind', 'none') END
				       || CASE WHEN g % 100 < 95
				               THEN jsonb_build_object('time', to_char(time '18:00' + make_interval(mins => g * 5 % 540), 'HH24:MI'))
				               ELSE '{}' END,
				       '2024-01-01'
				FROM generate_series(1, ?) g, (SELECT min(id) AS first FROM customers) c`, []any{customers, jobs}},
			{`INSERT INTO job_runs (job_id, status, source_type, external_id, run_at)
				SELECT j.id,
				       CASE WHEN random() < 0.9 THEN 'Success' WHEN random() < 0.7 THEN 'Warning' ELSE 'Failed' END,
				       'email', 'seed:' || j.id || ':' || g::date,
				       (g::date + coalesce((j.learned_schedule->>'time')::time, time '12:00')
				        + make_interval(mins => (random() * 40 - 20)::int)) AT TIME ZONE 'Europe/Amsterdam'
				FROM jobs j
				CROSS JOIN generate_series(?::date - ?::int, ?::date - 1, interval '1 day') g
				WHERE CASE j.learned_schedule->>'kind'
				          WHEN 'irregular' THEN random() < 0.3
				          WHEN 'none' THEN false
				          ELSE schedule_runs_on(j.learned_schedule, g::date) AND random() >= 0.03 END`,
				[]any{today.String(), days, today.String()}},
			{"ANALYZE customers, jobs, job_runs", nil},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
}
