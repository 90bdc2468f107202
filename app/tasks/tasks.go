// Package tasks records the progress of long-running work started from the UI (Import
// now, Re-parse all) so that live views can show it; the work itself is a River job.
package tasks

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/db"
)

// Kinds of tasks.
const (
	KindMailImport  = "mail_import"
	KindMailReparse = "mail_reparse"
)

// Create records a queued task and returns it.
func Create(ctx context.Context, idb bun.IDB, kind string, startedBy int64) (*db.BackgroundTask, error) {
	t := &db.BackgroundTask{Kind: kind, Status: "queued"}
	if startedBy != 0 {
		t.StartedBy = &startedBy
	}
	if _, err := idb.NewInsert().Model(t).Column("kind", "status", "started_by").Returning("*").Exec(ctx); err != nil {
		return nil, fmt.Errorf("tasks: create %s: %w", kind, err)
	}
	return t, live.Notify(ctx, idb, live.Event{Topic: live.TopicTasks, IDs: []int64{t.ID}})
}

// Progress records how far a task is (total < 0 leaves the total as it is).
func Progress(ctx context.Context, idb bun.IDB, id int64, done, total int, message string) error {
	q := idb.NewUpdate().Model((*db.BackgroundTask)(nil)).
		Set("status = 'running'").Set("done = ?", done).Set("message = ?", message).Set("updated_at = now()").
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

// Get loads one task.
func Get(ctx context.Context, idb bun.IDB, id int64) (*db.BackgroundTask, error) {
	t := new(db.BackgroundTask)
	if err := idb.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks: get %d: %w", id, db.NotFound(err))
	}
	return t, nil
}

// Latest returns the most recent task of kind, or nil.
func Latest(ctx context.Context, idb bun.IDB, kind string) (*db.BackgroundTask, error) {
	var ts []db.BackgroundTask
	if err := idb.NewSelect().Model(&ts).Where("kind = ?", kind).Order("created_at DESC", "id DESC").Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tasks: latest %s: %w", kind, err)
	}
	if len(ts) == 0 {
		return nil, nil
	}
	return &ts[0], nil
}
