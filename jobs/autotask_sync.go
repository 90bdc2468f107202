package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/metrics"
	"github.com/backupchecks/backupchecks/app/psa"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/settings"
)

// AutotaskSyncArgs polls Autotask for the tickets behind open internal tickets:
// completed ones resolve, deleted ones stop propagating.
type AutotaskSyncArgs struct{}

// Kind names the job in River.
func (AutotaskSyncArgs) Kind() string { return "autotask_sync" }

// InsertOpts keeps one such job per 10 minutes, however many replicas enqueue it.
func (AutotaskSyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: 10 * time.Minute}}
}

// autotaskSyncPeriodicJob polls every 15 minutes: a few chunked queries per pass,
// far inside Autotask's hourly request limit.
func autotaskSyncPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(15*time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return AutotaskSyncArgs{}, nil },
		&river.PeriodicJobOpts{ID: AutotaskSyncArgs{}.Kind(), RunOnStart: true})
}

// AutotaskSyncWorker runs AutotaskSyncArgs.
type AutotaskSyncWorker struct {
	river.WorkerDefaults[AutotaskSyncArgs]
	DB       *bun.DB
	Keys     *secrets.Keyring
	ZoneURLs []string
	Now      func() time.Time
}

// Timeout bounds one pass, retries of 429s included.
func (w *AutotaskSyncWorker) Timeout(*river.Job[AutotaskSyncArgs]) time.Duration {
	return autotaskSyncTimeout
}

// Work syncs when the integration is enabled; a failure is retried by River.
func (w *AutotaskSyncWorker) Work(ctx context.Context, _ *river.Job[AutotaskSyncArgs]) error {
	s, err := settings.Load(ctx, w.DB)
	if err != nil {
		return err
	}
	if !s.AutotaskEnabled {
		return nil
	}
	client, err := settings.AutotaskClient(s, w.Keys, w.ZoneURLs)
	if err != nil {
		return err
	}
	res, err := psa.Sync(ctx, w.DB, client, w.Now())
	metrics.ObserveImport("autotask", res.Checked, err)
	if err != nil {
		return err
	}
	if len(res.Resolved)+len(res.Deleted) > 0 {
		slog.InfoContext(ctx, "jobs: autotask synced", "checked", res.Checked, "completed", len(res.Resolved), "deleted", len(res.Deleted))
	}
	return nil
}
