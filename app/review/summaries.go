package review

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// The job summary (jobs.unreviewed_count, worst_unreviewed_status, last_run_at,
// last_run_status) is what list pages read instead of aggregating job_runs (docs/architecture.md §6).
// This file is its only writer: a change to runs keeps it in the change's transaction,
// by adding new runs (AddRunsToSummaries) or by recounting the jobs whose runs changed
// otherwise (RecountJobSummaries). Both count effective statuses (an override's
// before the reported one); superseded missed runs never count.

// AddRunsToSummaries folds newly created runs into their jobs' summary: unreviewed
// ones into the unreviewed count and worst unreviewed status, every one into the last
// run (a run that arrives reviewed, such as a backfilled one, is still the job's run),
// in the caller's transaction. Incremental: it reads only the new runs. Call it once
// per run, after the overrides were applied to it.
func AddRunsToSummaries(ctx context.Context, idb bun.IDB, newRunIDs []int64) error {
	if len(newRunIDs) == 0 {
		return nil
	}
	_, err := idb.ExecContext(ctx, `
		WITH new_runs AS (
			SELECT job_id, run_at, coalesce(overridden_status, status) AS status, reviewed_at IS NULL AS open
			FROM job_runs WHERE id IN (?)
		), per_job AS (
			SELECT job_id, count(*) FILTER (WHERE open) AS n,
			       (array_agg(status ORDER BY status_severity(status) DESC) FILTER (WHERE open))[1] AS worst,
			       (array_agg(status ORDER BY run_at DESC))[1] AS last_status,
			       max(run_at) AS last_at
			FROM new_runs GROUP BY job_id
		)
		UPDATE jobs j SET
			unreviewed_count = j.unreviewed_count + p.n,
			worst_unreviewed_status = CASE
				WHEN p.worst IS NOT NULL AND (j.worst_unreviewed_status IS NULL
				  OR status_severity(p.worst) > status_severity(j.worst_unreviewed_status)) THEN p.worst
				ELSE j.worst_unreviewed_status END,
			last_run_status = CASE WHEN j.last_run_at IS NULL OR p.last_at >= j.last_run_at
				THEN p.last_status ELSE j.last_run_status END,
			last_run_at = greatest(j.last_run_at, p.last_at),
			updated_at = now()
		FROM per_job p WHERE j.id = p.job_id`, bun.In(newRunIDs))
	if err != nil {
		return fmt.Errorf("review: add runs to job summaries: %w", err)
	}
	return nil
}

// RecountJobSummaries recomputes the summary of the given jobs (unreviewed count,
// worst unreviewed status, last run) from their runs, leaving out superseded missed
// runs; for changes that take runs out of the summary or change their status (a
// review, an override, a superseded missed run), where AddRunsToSummaries cannot
// subtract. Reads only the jobs' unreviewed runs and their latest run (index-backed);
// call it in the transaction of the change.
func RecountJobSummaries(ctx context.Context, idb bun.IDB, jobIDs []int64) error {
	if len(jobIDs) == 0 {
		return nil
	}
	_, err := idb.ExecContext(ctx, `
		UPDATE jobs j SET
			unreviewed_count = u.n,
			worst_unreviewed_status = u.worst,
			last_run_at = l.run_at,
			last_run_status = l.status,
			updated_at = now()
		FROM unnest(?::bigint[]) AS a(id)
		CROSS JOIN LATERAL (
			SELECT count(*) AS n,
			       (array_agg(coalesce(r.overridden_status, r.status)
			                  ORDER BY status_severity(coalesce(r.overridden_status, r.status)) DESC))[1] AS worst
			FROM job_runs r
			WHERE r.job_id = a.id AND r.reviewed_at IS NULL AND r.superseded_at IS NULL) u
		LEFT JOIN LATERAL (
			SELECT r.run_at, coalesce(r.overridden_status, r.status) AS status
			FROM job_runs r
			WHERE r.job_id = a.id AND r.superseded_at IS NULL
			ORDER BY r.run_at DESC LIMIT 1) l ON true
		WHERE j.id = a.id`, pgdialect.Array(jobIDs))
	if err != nil {
		return fmt.Errorf("review: recount job summaries: %w", err)
	}
	return nil
}
