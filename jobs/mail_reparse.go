package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
)

// MailReparseArgs re-runs the parsers over stored mail ("Re-parse all").
type MailReparseArgs struct {
	TaskID int64 `json:"task_id"`
}

// Kind names the job in River.
func (MailReparseArgs) Kind() string { return "mail_reparse" }

// InsertOpts: one re-parse at a time is enough; a second click while one runs is a no-op.
func (MailReparseArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 1, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// MailReparseWorker runs MailReparseArgs.
type MailReparseWorker struct {
	river.WorkerDefaults[MailReparseArgs]
	DB       *db.DB
	Registry *parsers.Registry
	Now      func() time.Time
}

// Timeout allows a large Inbox (only mail not yet a run is re-parsed); progress is
// visible throughout.
func (w *MailReparseWorker) Timeout(*river.Job[MailReparseArgs]) time.Duration {
	return mailReparseTimeout
}

// Work re-parses and reports progress on the task.
func (w *MailReparseWorker) Work(ctx context.Context, job *river.Job[MailReparseArgs]) error {
	id := job.Args.TaskID
	defer tasks.KeepAlive(ctx, w.DB.Bun, id)()
	if err := tasks.Progress(ctx, w.DB.Bun, id, 0, -1, "Re-parsing…"); err != nil {
		return err
	}
	res, err := ingest.Reparse(ctx, w.DB.Bun, w.Registry, w.Now(), func(done, total int) {
		_ = tasks.Progress(ctx, w.DB.Bun, id, done, total, fmt.Sprintf("Re-parsed %d of %d mails", done, total))
	})
	msg := fmt.Sprintf("Re-parsed %d mails: %d became runs of known jobs, %d remain unparsed.", res.Reparsed, res.Runs, res.Unparsed)
	return tasks.Finish(ctx, w.DB.Bun, id, msg, err)
}
