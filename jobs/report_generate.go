package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/reports"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
)

// ReportGenerateArgs builds a large report (a ZIP of PDFs, or a CSV) as a file kept
// for download, with progress on its task.
type ReportGenerateArgs struct {
	TaskID       int64  `json:"task_id"`
	DefinitionID int64  `json:"definition_id"`
	Format       string `json:"format"`
	UserID       int64  `json:"user_id"`
}

// Kind names the job in River.
func (ReportGenerateArgs) Kind() string { return "report_generate" }

// InsertOpts: one attempt; the person who started it sees a failure and may start again.
func (ReportGenerateArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// ReportGenerateWorker runs ReportGenerateArgs.
type ReportGenerateWorker struct {
	river.WorkerDefaults[ReportGenerateArgs]
	DB  *db.DB
	Now func() time.Time
}

// Timeout allows every customer's PDF of a year (the bench builds 1,000 a month in
// about a minute on two cores).
func (w *ReportGenerateWorker) Timeout(*river.Job[ReportGenerateArgs]) time.Duration {
	return reportGenerateTimeout
}

// Work builds the file and finishes the task with its name and size.
func (w *ReportGenerateWorker) Work(ctx context.Context, job *river.Job[ReportGenerateArgs]) error {
	id := job.Args.TaskID
	defer tasks.KeepAlive(ctx, w.DB.Bun, id)()
	if err := tasks.Progress(ctx, w.DB.Bun, id, 0, -1, "Building the report…"); err != nil {
		return err
	}
	last := time.Time{}
	f, err := reports.Generate(ctx, w.DB.Bun, reports.GenerateRequest{DefinitionID: job.Args.DefinitionID, TaskID: id,
		UserID: job.Args.UserID, Format: job.Args.Format, Now: w.Now()}, func(done, total int) {
		// Progress at most twice a second: each one is a write and a live event.
		if done < total && time.Since(last) < 500*time.Millisecond {
			return
		}
		last = time.Now()
		_ = tasks.Progress(ctx, w.DB.Bun, id, done, total, fmt.Sprintf("Built %d of %d customers' reports", done, total))
	})
	msg := ""
	if f != nil {
		msg = fmt.Sprintf("Built %s (%s).", f.Filename, mail.FormatSize(f.Size))
	}
	return tasks.Finish(ctx, w.DB.Bun, id, msg, err)
}

// StartReport starts building a definition's report in the background.
func (q *Queue) StartReport(ctx context.Context, userID, definitionID int64, format string) (int64, error) {
	return q.startTask(ctx, reports.TaskKind, userID, func(id int64) river.JobArgs {
		return ReportGenerateArgs{TaskID: id, DefinitionID: definitionID, Format: format, UserID: userID}
	})
}

// addReportWorkers registers the report workers (issue 17).
func addReportWorkers(workers *river.Workers, d *db.DB, cfg Config) {
	river.AddWorker(workers, &ReportGenerateWorker{DB: d, Now: cfg.Now})
	river.AddWorker(workers, &ReportScheduleWorker{DB: d, Now: cfg.Now})
	river.AddWorker(workers, &ReportDeliverWorker{DB: d, Keys: cfg.Keys, Now: cfg.Now})
	river.AddWorker(workers, &ReportFilesCleanupWorker{DB: d, Now: cfg.Now})
}
