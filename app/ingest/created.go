package ingest

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/notify/detect"
	"github.com/backupchecks/backupchecks/app/overrides"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/app/tickets"
)

// RunsCreated is the one step after new runs exist, whatever their source (mail, the
// schedule's missed runs, an integration): it applies the override rules, adds the
// runs to their jobs' summaries (with their effective status, so after the
// overrides), links the open tickets and remarks that cover them, and tells live
// views. Call it once for runs just inserted, with their objects already stored (an
// object-level override looks at them), in the transaction that inserted them.
func RunsCreated(ctx context.Context, tx bun.IDB, runIDs []int64) error {
	if len(runIDs) == 0 {
		return nil
	}
	if _, err := overrides.Apply(ctx, tx, runIDs); err != nil {
		return err
	}
	if err := review.AddRunsToSummaries(ctx, tx, runIDs); err != nil {
		return err
	}
	if err := tickets.LinkOpenToRuns(ctx, tx, runIDs); err != nil {
		return err
	}
	// Alerts are recorded with the runs (after overrides and tickets), so none is lost.
	if err := detect.Record(ctx, tx, runIDs); err != nil {
		return err
	}
	return live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns, IDs: runIDs})
}
