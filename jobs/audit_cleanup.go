package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
)

// AuditCleanupArgs is the periodic job that deletes audit entries older than the
// retention set under Settings → Maintenance (two years by default).
type AuditCleanupArgs struct{}

// Kind names the job in River.
func (AuditCleanupArgs) Kind() string { return "audit_cleanup" }

// InsertOpts keeps one such job per hour, however many replicas enqueue it.
func (AuditCleanupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Hour}}
}

// auditCleanupPeriodicJob runs AuditCleanupArgs every six hours and when the client
// starts: entries leave within hours of passing the retention.
func auditCleanupPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(6*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return AuditCleanupArgs{}, nil },
		&river.PeriodicJobOpts{ID: AuditCleanupArgs{}.Kind(), RunOnStart: true})
}

// AuditCleanupWorker runs AuditCleanupArgs.
type AuditCleanupWorker struct {
	river.WorkerDefaults[AuditCleanupArgs]
	DB  *bun.DB
	Now func() time.Time
}

// Work deletes the entries past the retention, in batches.
func (w *AuditCleanupWorker) Work(ctx context.Context, _ *river.Job[AuditCleanupArgs]) error {
	n, err := audit.Cleanup(ctx, w.DB, w.Now())
	if n > 0 {
		slog.Info("jobs: old audit entries deleted", "count", n)
	}
	return err
}
