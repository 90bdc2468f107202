package overrides

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/review"
)

// MarkSuccess treats one run as successful by hand (a one-off override without a rule),
// records who did it, and recounts its job's summary. Reviewed runs are not changed.
func MarkSuccess(ctx context.Context, bdb *bun.DB, actor audit.Actor, runID int64, at time.Time) (bool, error) {
	var by any
	if actor.ID != 0 {
		by = actor.ID
	}
	var jobIDs []int64
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw(`
			UPDATE job_runs SET overridden_status = 'Success', override_id = NULL, overridden_at = ?, overridden_by = ?, updated_at = now()
			WHERE id = ? AND reviewed_at IS NULL AND coalesce(overridden_status, status) <> 'Success'
			RETURNING job_id`, at, by, runID).Scan(ctx, &jobIDs); err != nil {
			return err
		}
		if len(jobIDs) == 0 {
			return nil
		}
		if err := review.RecountJobSummaries(ctx, tx, jobIDs); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "run.marked_success", fmt.Sprintf("run:%d", runID), nil); err != nil {
			return err
		}
		return live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns, IDs: []int64{runID}})
	})
	if err != nil {
		return false, fmt.Errorf("overrides: mark run %d as success: %w", runID, err)
	}
	return len(jobIDs) == 1, nil
}

// UndoMarkSuccess takes back a "Mark as Success": the run shows its reported status
// again, the override rules are applied to it afresh (one may still cover it), its
// job's summary is recounted and the undo is audited. Only a run marked by hand and not
// yet reviewed changes; returns whether it did.
func UndoMarkSuccess(ctx context.Context, bdb *bun.DB, actor audit.Actor, runID int64, at time.Time) (bool, error) {
	var jobIDs []int64
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewRaw(`
			UPDATE job_runs SET overridden_status = NULL, overridden_at = NULL, overridden_by = NULL, updated_at = now()
			WHERE id = ? AND reviewed_at IS NULL AND override_id IS NULL AND overridden_status IS NOT NULL
			RETURNING job_id`, runID).Scan(ctx, &jobIDs); err != nil {
			return err
		}
		if len(jobIDs) == 0 {
			return nil
		}
		if _, err := Apply(ctx, tx, []int64{runID}); err != nil {
			return err
		}
		if err := review.RecountJobSummaries(ctx, tx, jobIDs); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "run.marked_success_undone", fmt.Sprintf("run:%d", runID),
			map[string]any{"at": at.UTC().Format(time.RFC3339)}); err != nil {
			return err
		}
		return live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns, IDs: []int64{runID}})
	})
	if err != nil {
		return false, fmt.Errorf("overrides: undo marking run %d as success: %w", runID, err)
	}
	return len(jobIDs) == 1, nil
}
