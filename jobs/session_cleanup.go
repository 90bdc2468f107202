package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/auth"
)

// SessionCleanupArgs is the periodic job that deletes expired sessions and old login
// attempts.
type SessionCleanupArgs struct{}

// Kind names the job in River.
func (SessionCleanupArgs) Kind() string { return "session_cleanup" }

// InsertOpts keeps one such job per half hour, however many replicas enqueue it.
func (SessionCleanupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: 30 * time.Minute}}
}

// SessionCleanupWorker runs SessionCleanupArgs.
type SessionCleanupWorker struct {
	river.WorkerDefaults[SessionCleanupArgs]
	DB     *bun.DB
	Policy auth.SessionPolicy
	Now    func() time.Time
}

// Work deletes what has expired.
func (w *SessionCleanupWorker) Work(ctx context.Context, _ *river.Job[SessionCleanupArgs]) error {
	n, err := auth.DeleteExpired(ctx, w.DB, w.Policy, w.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		slog.Info("jobs: expired sessions deleted", "count", n)
	}
	return nil
}
