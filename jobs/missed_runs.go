package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/app/settings"
)

// MissedRunsArgs learns the jobs' schedules (when the last learn is older than
// schedule.RelearnEvery or a job has none yet) and creates Missed runs for expected
// runs that never came.
type MissedRunsArgs struct {
	// RequestedAt is set by "Check now": it makes an on-demand pass unique of its own,
	// so the periodic pass's 10-minute uniqueness does not swallow it.
	RequestedAt time.Time `json:"requested_at,omitzero"`
}

// Kind names the job in River.
func (MissedRunsArgs) Kind() string { return "missed_runs" }

// InsertOpts keeps one such job per 10 minutes, however many replicas enqueue it.
func (MissedRunsArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: 10 * time.Minute}}
}

// missedRunsPeriodicJob runs MissedRunsArgs every 15 minutes and when the client
// starts, so a missed run shows at most 15 minutes after its grace has passed.
func missedRunsPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(15*time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return MissedRunsArgs{}, nil },
		&river.PeriodicJobOpts{ID: MissedRunsArgs{}.Kind(), RunOnStart: true})
}

// MissedRunsWorker runs MissedRunsArgs.
type MissedRunsWorker struct {
	river.WorkerDefaults[MissedRunsArgs]
	DB  *bun.DB
	Now func() time.Time
}

// Timeout allows a relearn of every job's history (seconds at 10,000 jobs) with room.
func (w *MissedRunsWorker) Timeout(*river.Job[MissedRunsArgs]) time.Duration {
	return missedRunsTimeout
}

// Work relearns when due, then creates missed runs, in the UI timezone.
func (w *MissedRunsWorker) Work(ctx context.Context, _ *river.Job[MissedRunsArgs]) error {
	s, err := settings.Load(ctx, w.DB)
	if err != nil {
		return err
	}
	loc := settings.Location(s)
	now := w.Now()
	due, err := schedule.RelearnDue(ctx, w.DB, now)
	if err != nil {
		return err
	}
	if due {
		n, err := schedule.Relearn(ctx, w.DB, loc, now)
		if err != nil {
			return err
		}
		slog.Info("jobs: schedules learned", "jobs", n)
	}
	n, err := schedule.GenerateMissedRuns(ctx, w.DB, loc, now)
	if err != nil {
		return err
	}
	if n > 0 {
		slog.Info("jobs: missed runs created", "count", n)
	}
	return nil
}
