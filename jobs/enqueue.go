package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
)

// Enqueuer starts background work from the web: it records the task and inserts its
// River job in one transaction, so a task is never shown without the job behind it.
type Enqueuer struct {
	DB     *db.DB
	Client *river.Client[pgx.Tx]
}

// StartMailImport starts "Import now".
func (e *Enqueuer) StartMailImport(ctx context.Context, userID int64) (int64, error) {
	return e.startTask(ctx, tasks.KindMailImport, userID, func(id int64) river.JobArgs { return MailImportArgs{TaskID: id} })
}

// StartMailReparse starts "Re-parse all".
func (e *Enqueuer) StartMailReparse(ctx context.Context, userID int64) (int64, error) {
	return e.startTask(ctx, tasks.KindMailReparse, userID, func(id int64) river.JobArgs { return MailReparseArgs{TaskID: id} })
}

// CheckMissedRuns runs the missed-run pass now (learning schedules first when due).
func (e *Enqueuer) CheckMissedRuns(ctx context.Context, now time.Time) error {
	if _, err := e.Client.Insert(ctx, MissedRunsArgs{RequestedAt: now}, nil); err != nil {
		return fmt.Errorf("jobs: check missed runs: %w", err)
	}
	return nil
}

// StartRetention runs a retention pass now; started is false when one is already
// queued or running (that one does the work).
func (e *Enqueuer) StartRetention(ctx context.Context) (started bool, err error) {
	res, err := e.Client.Insert(ctx, RetentionArgs{Manual: true}, nil)
	if err != nil {
		return false, fmt.Errorf("jobs: start retention: %w", err)
	}
	return !res.UniqueSkippedAsDuplicate, nil
}

func (e *Enqueuer) startTask(ctx context.Context, kind string, userID int64, args func(int64) river.JobArgs) (int64, error) {
	tx, err := e.DB.Pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("jobs: start %s: %w", kind, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit this is a no-op
	var startedBy *int64
	if userID != 0 {
		startedBy = &userID
	}
	var id int64
	if err := tx.QueryRow(ctx, "INSERT INTO background_tasks (kind, status, started_by) VALUES ($1, 'queued', $2) RETURNING id",
		kind, startedBy).Scan(&id); err != nil {
		return 0, fmt.Errorf("jobs: start %s: record task: %w", kind, err)
	}
	if _, err := e.Client.InsertTx(ctx, tx, args(id), nil); err != nil {
		return 0, fmt.Errorf("jobs: start %s: enqueue: %w", kind, err)
	}
	payload, _ := json.Marshal(live.Event{Topic: live.TopicTasks, IDs: []int64{id}})
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, $2)", live.Channel, string(payload)); err != nil {
		return 0, fmt.Errorf("jobs: start %s: notify: %w", kind, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("jobs: start %s: commit: %w", kind, err)
	}
	return id, nil
}
