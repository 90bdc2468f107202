package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
)

// Queue is how the web app puts work on River's queue: a task the UI follows (Import
// now, Re-parse all) is recorded and its River job inserted in one transaction, so a
// task is never shown without the job behind it. In package app it is the field
// App.queue.
type Queue struct {
	DB     *db.DB
	Client *river.Client[pgx.Tx]
}

// StartMailImport starts "Import now" and returns its task's id.
func (q *Queue) StartMailImport(ctx context.Context, userID int64) (int64, error) {
	return q.startTask(ctx, tasks.KindMailImport, userID, func(id int64) river.JobArgs { return MailImportArgs{TaskID: id} })
}

// StartMailReparse starts "Re-parse all" and returns its task's id.
func (q *Queue) StartMailReparse(ctx context.Context, userID int64) (int64, error) {
	return q.startTask(ctx, tasks.KindMailReparse, userID, func(id int64) river.JobArgs { return MailReparseArgs{TaskID: id} })
}

// CheckMissedRuns runs the missed-run pass now (learning schedules first when due).
func (q *Queue) CheckMissedRuns(ctx context.Context, now time.Time) error {
	if _, err := q.Client.Insert(ctx, MissedRunsArgs{RequestedAt: now}, nil); err != nil {
		return fmt.Errorf("jobs: check missed runs: %w", err)
	}
	return nil
}

// startTask records a task of kind (app/tasks owns the row) and inserts the River job
// that works it, in one pgx transaction: River inserts only with a pgx.Tx.
func (q *Queue) startTask(ctx context.Context, kind string, userID int64, args func(taskID int64) river.JobArgs) (int64, error) {
	tx, err := q.DB.Pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("jobs: start %s: %w", kind, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	id, err := tasks.Insert(ctx, tx, kind, userID)
	if err != nil {
		return 0, fmt.Errorf("jobs: start %s: %w", kind, err)
	}
	if _, err := q.Client.InsertTx(ctx, tx, args(id), nil); err != nil {
		return 0, fmt.Errorf("jobs: start %s: enqueue: %w", kind, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("jobs: start %s: commit: %w", kind, err)
	}
	return id, nil
}

// StartRetention runs a retention pass now; started is false when one is already
// queued or running (that one does the work).
func (q *Queue) StartRetention(ctx context.Context) (started bool, err error) {
	res, err := q.Client.Insert(ctx, RetentionArgs{Manual: true}, nil)
	if err != nil {
		return false, fmt.Errorf("jobs: start retention: %w", err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}
