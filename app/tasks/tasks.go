// Package tasks records the progress of long-running work started from the UI (Import
// now, Re-parse all) so that live views can show it; the work itself is a River job
// (top-level package jobs), which inserts the task row with Insert and reports on it
// with Progress, Heartbeat and Finish.
package tasks

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/db"
)

// Kinds of tasks.
const (
	KindMailImport  = "mail_import"
	KindMailReparse = "mail_reparse"
)

// Querier is what both a pgx transaction and the pool offer. Insert takes it rather
// than a bun.IDB because River enqueues with a pgx.Tx, and the task row must be
// written in that same transaction.
type Querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// Insert records a queued task of kind (startedBy 0: nobody, the system) and announces
// it to live views, in q: the transaction that also enqueues the task's River job, so
// a task is never shown without the job behind it.
func Insert(ctx context.Context, q Querier, kind string, startedBy int64) (int64, error) {
	var by *int64
	if startedBy != 0 {
		by = &startedBy
	}
	var id int64
	if err := q.QueryRow(ctx, "INSERT INTO background_tasks (kind, status, started_by) VALUES ($1, 'queued', $2) RETURNING id",
		kind, by).Scan(&id); err != nil {
		return 0, fmt.Errorf("tasks: insert %s: %w", kind, err)
	}
	payload, err := live.Encode(live.Event{Topic: live.TopicTasks, IDs: []int64{id}})
	if err != nil {
		return 0, err
	}
	if _, err := q.Exec(ctx, "SELECT pg_notify($1, $2)", live.Channel, payload); err != nil {
		return 0, fmt.Errorf("tasks: insert %s: notify: %w", kind, err)
	}
	return id, nil
}

// Progress records how far a task is (total < 0 leaves the total as it is).
func Progress(ctx context.Context, idb bun.IDB, id int64, done, total int, message string) error {
	q := idb.NewUpdate().Model((*db.BackgroundTask)(nil)).
		Set("status = 'running'").Set("done = ?", done).Set("message = ?", message).
		Set("updated_at = now()").Set("heartbeat_at = now()").
		Where("id = ?", id)
	if total >= 0 {
		q = q.Set("total = ?", total)
	}
	if _, err := q.Exec(ctx); err != nil {
		return fmt.Errorf("tasks: progress of %d: %w", id, err)
	}
	return live.Notify(ctx, idb, live.Event{Topic: live.TopicTasks, IDs: []int64{id}})
}

// Finish marks a task done, or failed with err's message.
func Finish(ctx context.Context, idb bun.IDB, id int64, message string, err error) error {
	status := "done"
	if err != nil {
		status, message = "failed", err.Error()
	}
	if _, uerr := idb.NewUpdate().Model((*db.BackgroundTask)(nil)).
		Set("status = ?", status).Set("message = ?", message).Set("finished_at = now()").Set("updated_at = now()").
		Where("id = ?", id).Exec(ctx); uerr != nil {
		return fmt.Errorf("tasks: finish %d: %w", id, uerr)
	}
	return live.Notify(ctx, idb, live.Event{Topic: live.TopicTasks, IDs: []int64{id}})
}

// HeartbeatEvery is how often a running task's worker says it is alive; StaleAfter is
// how long a running task may go without a heartbeat before it counts as interrupted.
const (
	HeartbeatEvery = 10 * time.Second
	StaleAfter     = 6 * HeartbeatEvery
)

// Heartbeat records that the task's worker is alive.
func Heartbeat(ctx context.Context, idb bun.IDB, id int64) error {
	if _, err := idb.NewUpdate().Model((*db.BackgroundTask)(nil)).Set("heartbeat_at = now()").
		Where("id = ? AND finished_at IS NULL", id).Exec(ctx); err != nil {
		return fmt.Errorf("tasks: heartbeat of %d: %w", id, err)
	}
	return nil
}

// KeepAlive beats for the task every HeartbeatEvery until the returned stop is called
// (or ctx ends). A killed process stops beating, which is how an interrupted task is
// told from a slow one.
func KeepAlive(ctx context.Context, idb bun.IDB, id int64) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(HeartbeatEvery)
		defer tick.Stop()
		for {
			if err := Heartbeat(ctx, idb, id); err != nil && ctx.Err() == nil {
				slog.Warn("tasks: heartbeat", "task", id, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// selectTask reads tasks with Interrupted computed by the database's clock, the one
// heartbeats are written with.
func selectTask(idb bun.IDB, dst any) *bun.SelectQuery {
	return idb.NewSelect().Model(dst).ColumnExpr("background_task.*").
		ColumnExpr("(background_task.status = 'running' AND background_task.finished_at IS NULL AND "+
			"coalesce(background_task.heartbeat_at, background_task.updated_at) < now() - ?::interval) AS interrupted",
			fmt.Sprintf("%d seconds", int(StaleAfter.Seconds())))
}

// Get loads one task.
func Get(ctx context.Context, idb bun.IDB, id int64) (*db.BackgroundTask, error) {
	t := new(db.BackgroundTask)
	if err := selectTask(idb, t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks: get %d: %w", id, db.NotFound(err))
	}
	return t, nil
}

// Latest returns the most recent task of kind, or nil.
func Latest(ctx context.Context, idb bun.IDB, kind string) (*db.BackgroundTask, error) {
	var ts []db.BackgroundTask
	if err := selectTask(idb, &ts).Where("kind = ?", kind).Order("created_at DESC", "id DESC").Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks: latest %s: %w", kind, err)
	}
	if len(ts) == 0 {
		return nil, nil
	}
	return &ts[0], nil
}
