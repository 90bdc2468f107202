// Package overrides treats runs as successful: those that match an admin's rule —
// global rules (all jobs, optionally one backup software/type) and object-level rules
// (one job, or one object within it), which win over global ones — and single runs an
// operator marks as a success by hand (manual.go). Matching is SQL, set-based: it runs
// when runs are created (ingest.RunsCreated) and again for unreviewed runs whenever a
// rule changes or expires. Reviewed runs never change. Every change recounts the job
// summaries through review, in its transaction.
package overrides

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/review"
)

// Text match modes.
const (
	ModeContains   = "contains"
	ModeExact      = "exact"
	ModeStartsWith = "starts_with"
	ModeEndsWith   = "ends_with"
)

// matchSQL picks, for each run in scope, the override that applies: object level before
// global, then the oldest rule. A rule matches when its level's target fits the run's
// job (and object), its status (if any) is the run's reported status, its text (if any)
// matches the run message or one of the run's object messages (case-insensitive), and
// the run time is inside its window.
const matchSQL = `
	SELECT DISTINCT ON (r.id) r.id AS run_id, o.id AS override_id, o.treat_as_success
	FROM job_runs r
	JOIN jobs j ON j.id = r.job_id
	JOIN overrides o ON (
	        (o.level = 'global'
	         AND (o.backup_software IS NULL OR o.backup_software = j.backup_software)
	         AND (o.backup_type IS NULL OR o.backup_type = j.backup_type))
	     OR (o.level = 'object' AND o.job_id = r.job_id
	         AND (o.object_name IS NULL OR EXISTS (
	                SELECT 1 FROM run_object_links l JOIN customer_objects co ON co.id = l.customer_object_id
	                WHERE l.job_run_id = r.id AND lower(co.object_name) = lower(o.object_name)))))
	 AND (o.match_status IS NULL OR o.match_status = r.status)
	 AND (o.valid_from IS NULL OR r.run_at >= o.valid_from)
	 AND (o.valid_until IS NULL OR r.run_at < o.valid_until)
	 AND (coalesce(btrim(o.match_text), '') = ''
	      OR override_text_matches(o.match_mode, o.match_text, r.message)
	      OR EXISTS (SELECT 1 FROM run_object_links l JOIN customer_objects co ON co.id = l.customer_object_id
	                 WHERE l.job_run_id = r.id
	                   AND (o.object_name IS NULL OR lower(co.object_name) = lower(o.object_name))
	                   AND override_text_matches(o.match_mode, o.match_text, l.error_message)))
	WHERE r.id = ANY(?) AND r.reviewed_at IS NULL AND r.status <> 'Success'
	ORDER BY r.id, (o.level = 'object') DESC, o.id`

// Apply evaluates the overrides for the given unreviewed runs: a run that a rule matches
// gets that rule and, when the rule treats matches as successful, the effective status
// Success; an unreviewed run no rule matches any more loses its override. Returns the
// jobs whose runs changed (their summaries need recounting).
func Apply(ctx context.Context, idb bun.IDB, runIDs []int64) ([]int64, error) {
	if len(runIDs) == 0 {
		return nil, nil
	}
	ids := pgdialect.Array(runIDs)
	var jobs []int64
	err := idb.NewRaw(`
		WITH m AS (`+matchSQL+`),
		changed AS (
			UPDATE job_runs r SET
				override_id = m.override_id,
				overridden_status = CASE WHEN m.treat_as_success THEN 'Success' END,
				overridden_at = now(), overridden_by = NULL, updated_at = now()
			FROM m WHERE r.id = m.run_id AND r.override_id IS DISTINCT FROM m.override_id
			RETURNING r.job_id),
		cleared AS (
			UPDATE job_runs r SET override_id = NULL, overridden_status = NULL, overridden_at = NULL, updated_at = now()
			WHERE r.id = ANY(?) AND r.reviewed_at IS NULL AND r.override_id IS NOT NULL
			  AND NOT EXISTS (SELECT 1 FROM m WHERE m.run_id = r.id)
			RETURNING r.job_id)
		SELECT DISTINCT job_id FROM (SELECT job_id FROM changed UNION ALL SELECT job_id FROM cleared) x`,
		ids, ids).Scan(ctx, &jobs)
	if err != nil {
		return nil, fmt.Errorf("overrides: apply: %w", err)
	}
	return jobs, nil
}

// Reevaluate applies the overrides again to every unreviewed run of the last days
// (after a rule was created, edited, deleted or expired), set-based, and recounts the
// summaries of the jobs whose runs changed. It returns how many jobs changed.
func Reevaluate(ctx context.Context, idb bun.IDB, now time.Time, days int) (int, error) {
	var runIDs []int64
	if err := idb.NewRaw(`
		SELECT id FROM job_runs
		WHERE reviewed_at IS NULL AND superseded_at IS NULL AND run_at >= ?
		  AND (status <> 'Success' OR override_id IS NOT NULL)`, now.AddDate(0, 0, -days)).Scan(ctx, &runIDs); err != nil {
		return 0, fmt.Errorf("overrides: reevaluate: %w", err)
	}
	jobs, err := Apply(ctx, idb, runIDs)
	if err != nil {
		return 0, err
	}
	if len(jobs) == 0 {
		return 0, nil
	}
	if err := review.RecountJobSummaries(ctx, idb, jobs); err != nil {
		return 0, err
	}
	return len(jobs), live.Notify(ctx, idb, live.Event{Topic: live.TopicRuns})
}
