package psa

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/autotask"
	"github.com/backupchecks/backupchecks/app/live"
)

// StatusComplete is Autotask's built-in "Complete" ticket status.
const StatusComplete = 5

// ActionSynced is audited when a sync changed something.
const ActionSynced = "autotask.synced"

// SyncResult says what a sync found.
type SyncResult struct {
	Checked  int     // Autotask tickets of open internal tickets that were read
	Resolved []int64 // Autotask ids completed in the PSA: their internal tickets are resolved
	Deleted  []int64 // Autotask ids the PSA no longer has: runs stop carrying them
}

// Sync reads the Autotask tickets behind open internal tickets: a completed one
// resolves its internal ticket (so it stops following the job); a deleted one also
// resolves it, marked as deleted in Autotask, and is marked on its runs (so new runs
// stop inheriting it, and the next sync does not read it again). Reads only: nothing
// is written to Autotask.
func Sync(ctx context.Context, bdb *bun.DB, client *autotask.Client, now time.Time) (SyncResult, error) {
	var res SyncResult
	var ids []int64
	if err := bdb.NewRaw(`SELECT DISTINCT autotask_ticket_id FROM tickets
		WHERE autotask_ticket_id IS NOT NULL AND resolved_at IS NULL`).Scan(ctx, &ids); err != nil {
		return res, fmt.Errorf("psa: sync: open tickets: %w", err)
	}
	if len(ids) == 0 {
		return res, nil
	}
	found, err := autotask.GetByIDs[autotask.Ticket](ctx, client, "Tickets", ids)
	if err != nil {
		return res, fmt.Errorf("psa: sync: %w", err)
	}
	res.Checked = len(found)
	seen := map[int64]bool{}
	for _, t := range found {
		seen[t.ID] = true
		if t.Status == StatusComplete {
			res.Resolved = append(res.Resolved, t.ID)
		}
	}
	for _, id := range ids {
		if !seen[id] {
			res.Deleted = append(res.Deleted, id)
		}
	}
	if len(res.Resolved) == 0 && len(res.Deleted) == 0 {
		return res, nil
	}
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var codes, deletedCodes []string
		if err := tx.NewRaw(`UPDATE tickets SET resolved_at = ?, updated_at = now() WHERE autotask_ticket_id = ANY(?::bigint[]) AND resolved_at IS NULL
			RETURNING ticket_code`, now, pgdialect.Array(nonNil(res.Resolved))).Scan(ctx, &codes); err != nil {
			return fmt.Errorf("resolve completed: %w", err)
		}
		if err := tx.NewRaw(`UPDATE tickets SET resolved_at = ?, autotask_deleted_at = ?, updated_at = now()
			WHERE autotask_ticket_id = ANY(?::bigint[]) AND resolved_at IS NULL
			RETURNING ticket_code`, now, now, pgdialect.Array(nonNil(res.Deleted))).Scan(ctx, &deletedCodes); err != nil {
			return fmt.Errorf("resolve deleted: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE job_runs SET autotask_ticket_deleted_at = ?
			WHERE autotask_ticket_id = ANY(?::bigint[]) AND autotask_ticket_deleted_at IS NULL`, now, pgdialect.Array(nonNil(res.Deleted))); err != nil {
			return fmt.Errorf("mark deleted: %w", err)
		}
		if err := live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Actor{Name: "Autotask sync"}, ActionSynced, "autotask", map[string]any{
			"resolved_tickets": codes, "completed_in_autotask": res.Resolved,
			"resolved_deleted_tickets": deletedCodes, "deleted_in_autotask": res.Deleted})
	})
	if err != nil {
		return res, fmt.Errorf("psa: sync: %w", err)
	}
	return res, nil
}

func nonNil(a []int64) []int64 {
	if a == nil {
		return []int64{}
	}
	return a
}
