// Package review marks runs reviewed or unreviewed, records every such change as a
// job_run_review_events row, serves the Run Checks queue, and owns the jobs' summaries
// (summaries.go): every writer of runs (ingest, schedule, overrides, review itself)
// keeps them through it, in the transaction of its change.
package review

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/live"
)

// Actions recorded in job_run_review_events.
const (
	ActionReviewed   = "reviewed"
	ActionUnreviewed = "unreviewed"
)

// ReviewRuns marks the given runs reviewed by actor and records one review event each.
// Runs already reviewed, and superseded missed runs, are left as they are. Returns how
// many changed. Set-based: one UPDATE … RETURNING, one INSERT of events, one summary
// recount for the jobs concerned.
func ReviewRuns(ctx context.Context, bdb *bun.DB, actor audit.Actor, runIDs []int64, at time.Time) (int, error) {
	return change(ctx, bdb, actor, runIDs, at, true)
}

// UnreviewRuns puts reviewed runs back into the queue (recorded like a review).
func UnreviewRuns(ctx context.Context, bdb *bun.DB, actor audit.Actor, runIDs []int64, at time.Time) (int, error) {
	return change(ctx, bdb, actor, runIDs, at, false)
}

// maxAuditedRunIDs bounds the run ids one audit entry names (a review of a whole
// queue can take thousands).
const maxAuditedRunIDs = 50

func change(ctx context.Context, bdb *bun.DB, actor audit.Actor, runIDs []int64, at time.Time, reviewed bool) (int, error) {
	if len(runIDs) == 0 {
		return 0, nil
	}
	var reviewer any
	if actor.ID != 0 {
		reviewer = actor.ID
	}
	set, where, action := "reviewed_at = ?, reviewed_by = ?", "reviewed_at IS NULL AND superseded_at IS NULL", ActionReviewed
	args := []any{at, reviewer}
	if !reviewed {
		set, where, action = "reviewed_at = NULL, reviewed_by = NULL", "reviewed_at IS NOT NULL", ActionUnreviewed
		args = nil
	}
	var changed []struct {
		ID    int64 `bun:"id"`
		JobID int64 `bun:"job_id"`
	}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		q := "UPDATE job_runs SET " + set + ", updated_at = now() WHERE id IN (?) AND " + where + " RETURNING id, job_id"
		if err := tx.NewRaw(q, append(args, bun.In(runIDs))...).Scan(ctx, &changed); err != nil {
			return fmt.Errorf("update runs: %w", err)
		}
		if len(changed) == 0 {
			return nil
		}
		ids := make([]int64, len(changed))
		jobSet := map[int64]bool{}
		var jobIDs []int64
		for i, c := range changed {
			ids[i] = c.ID
			if !jobSet[c.JobID] {
				jobSet[c.JobID] = true
				jobIDs = append(jobIDs, c.JobID)
			}
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO job_run_review_events (job_run_id, action, actor_id, actor_name, created_at)
			SELECT id, ?, ?, ?, ? FROM unnest(?::bigint[]) AS u(id)`,
			action, reviewer, actor.Name, at, pgdialect.Array(ids)); err != nil {
			return fmt.Errorf("record review events: %w", err)
		}
		if err := RecountJobSummaries(ctx, tx, jobIDs); err != nil {
			return err
		}
		// One entry per action in the audit log (the Logging page), the runs named up
		// to a bound; each run's own history is in its review events above.
		details := map[string]any{"runs": len(ids), "jobs": len(jobIDs), "run_ids": ids[:min(len(ids), maxAuditedRunIDs)]}
		if err := audit.Record(ctx, tx, actor, "review."+action, "", details); err != nil {
			return err
		}
		return live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns, IDs: ids})
	})
	if err != nil {
		return 0, fmt.Errorf("review: %s %d runs: %w", action, len(runIDs), err)
	}
	return len(changed), nil
}

// Event is one review or unreview of a run.
type Event struct {
	RunID     int64     `bun:"job_run_id"`
	Action    string    `bun:"action"`
	ActorName string    `bun:"actor_name"`
	At        time.Time `bun:"created_at"`
}

// History returns the review events of a job's runs, newest first.
func History(ctx context.Context, idb bun.IDB, jobID int64, limit int) ([]Event, error) {
	var out []Event
	err := idb.NewRaw(`
		SELECT e.job_run_id, e.action, e.actor_name, e.created_at
		FROM job_run_review_events e JOIN job_runs r ON r.id = e.job_run_id
		WHERE r.job_id = ? ORDER BY e.created_at DESC, e.id DESC LIMIT ?`, jobID, limit).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("review: history of job %d: %w", jobID, err)
	}
	return out, nil
}
