package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/backupchecks/backupchecks/app/mail/graph"

	"github.com/backupchecks/backupchecks/app/reports"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

// ReportScheduleArgs is the periodic sweep that plans the scheduled reports whose
// period ended and enqueues their mails (again, for any planned but never enqueued).
type ReportScheduleArgs struct{}

// Kind names the job in River.
func (ReportScheduleArgs) Kind() string { return "report_schedule" }

// InsertOpts keeps one sweep per 10 minutes, however many replicas enqueue it.
func (ReportScheduleArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: 10 * time.Minute}}
}

func reportSchedulePeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(15*time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return ReportScheduleArgs{}, nil },
		&river.PeriodicJobOpts{ID: ReportScheduleArgs{}.Kind(), RunOnStart: true})
}

// ReportScheduleWorker runs ReportScheduleArgs.
type ReportScheduleWorker struct {
	river.WorkerDefaults[ReportScheduleArgs]
	DB  *db.DB
	Now func() time.Time
}

// Work plans what is due (nothing while no delivery channel is set) and enqueues every
// delivery not yet tried; a delivery's job is unique, so none is sent twice.
func (w *ReportScheduleWorker) Work(ctx context.Context, _ *river.Job[ReportScheduleArgs]) error {
	sys, err := settings.Load(ctx, w.DB.Bun)
	if err != nil {
		return err
	}
	rs, err := reports.LoadSettings(ctx, w.DB.Bun, nil)
	if err != nil {
		return err
	}
	if rs.DeliveryChannel == reports.ChannelNone {
		return nil
	}
	planned, err := reports.PlanDeliveries(ctx, w.DB.Bun, rs.DeliveryChannel, w.Now(), settings.Location(sys))
	if err != nil {
		return err
	}
	queued, err := reports.QueuedDeliveries(ctx, w.DB.Bun)
	if err != nil {
		return err
	}
	if len(queued) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(queued))
	for i, id := range queued {
		params[i] = river.InsertManyParams{Args: ReportDeliverArgs{DeliveryID: id}}
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("jobs: report deliveries: %w", err)
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("jobs: report deliveries: enqueue: %w", err)
	}
	slog.InfoContext(ctx, "reports: deliveries enqueued", "planned", len(planned), "queued", len(queued))
	return nil
}

// ReportDeliverArgs mails one planned delivery of a scheduled report.
type ReportDeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind names the job in River.
func (ReportDeliverArgs) Kind() string { return "report_deliver" }

// InsertOpts: one job per delivery, ever (River's uniqueness covers completed jobs
// too), tried reports.MaxAttempts times.
func (ReportDeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: reports.MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// ReportDeliverWorker runs ReportDeliverArgs.
type ReportDeliverWorker struct {
	river.WorkerDefaults[ReportDeliverArgs]
	DB   *db.DB
	Keys *secrets.Keyring
	Now  func() time.Time
	// Mailer replaces the mailer of Settings → Reporting (tests).
	Mailer reports.Mailer
}

// Timeout allows one customer's PDF and a slow mail server.
func (w *ReportDeliverWorker) Timeout(*river.Job[ReportDeliverArgs]) time.Duration {
	return reportDeliverTimeout
}

// NextRetry backs off 1, 5 and 25 minutes.
func (w *ReportDeliverWorker) NextRetry(job *river.Job[ReportDeliverArgs]) time.Time {
	return time.Now().Add(reports.RetryDelay(job.Attempt))
}

// Work sends the delivery; a failure is returned so that River retries it.
func (w *ReportDeliverWorker) Work(ctx context.Context, job *river.Job[ReportDeliverArgs]) error {
	mailer := w.Mailer
	if mailer == nil {
		var err error
		if mailer, err = reports.MailerFromSettings(ctx, w.DB.Bun, w.Keys); err != nil {
			// Nothing can be sent: record the attempt as a failure of its own.
			return reports.SendDelivery(ctx, w.DB.Bun, failingMailer{err}, job.Args.DeliveryID, job.Attempt, w.Now())
		}
	}
	return reports.SendDelivery(ctx, w.DB.Bun, mailer, job.Args.DeliveryID, job.Attempt, w.Now())
}

// failingMailer fails every mail with the reason no mailer could be built.
type failingMailer struct{ err error }

func (f failingMailer) Send(context.Context, graph.OutgoingMail) error { return f.err }
func (failingMailer) Channel() string                                  { return "" }

// ReportFilesCleanupArgs deletes generated report files whose retention ended.
type ReportFilesCleanupArgs struct{}

// Kind names the job in River.
func (ReportFilesCleanupArgs) Kind() string { return "report_files_cleanup" }

// InsertOpts keeps one such job per half hour.
func (ReportFilesCleanupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: 30 * time.Minute}}
}

func reportFilesCleanupPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return ReportFilesCleanupArgs{}, nil },
		&river.PeriodicJobOpts{ID: ReportFilesCleanupArgs{}.Kind(), RunOnStart: true})
}

// ReportFilesCleanupWorker runs ReportFilesCleanupArgs.
type ReportFilesCleanupWorker struct {
	river.WorkerDefaults[ReportFilesCleanupArgs]
	DB  *db.DB
	Now func() time.Time
}

// Work deletes the expired files.
func (w *ReportFilesCleanupWorker) Work(ctx context.Context, _ *river.Job[ReportFilesCleanupArgs]) error {
	n, err := reports.DeleteExpiredFiles(ctx, w.DB.Bun, w.Now())
	if n > 0 {
		slog.InfoContext(ctx, "reports: expired files deleted", "files", n)
	}
	return err
}
