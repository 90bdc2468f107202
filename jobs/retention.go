package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/retention"
)

// RetentionArgs deletes runs and mails older than the retention set in Settings →
// Maintenance (nothing while it is 0). Daily, and at once from "Purge now".
type RetentionArgs struct {
	Manual bool `json:"manual,omitempty"`
}

// Kind names the job in River.
func (RetentionArgs) Kind() string { return "retention" }

// InsertOpts: one pass at a time, however many replicas or clicks ask for one; a pass
// that finished does not block the next.
func (RetentionArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled,
	}}}
}

// retentionBudget is how long one pass deletes before it stops (the next continues):
// a first pass over years of history must not outlive its timeout.
const retentionBudget = 20 * time.Minute

// retentionPeriodicJob runs a pass a day (and when the leader starts, which is cheap
// when there is nothing to delete).
func retentionPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return RetentionArgs{}, nil },
		&river.PeriodicJobOpts{ID: RetentionArgs{}.Kind(), RunOnStart: true})
}

// RetentionWorker runs RetentionArgs.
type RetentionWorker struct {
	river.WorkerDefaults[RetentionArgs]
	DB  *bun.DB
	Now func() time.Time
	// Pause between batches (default 50 ms) lets imports and reviews take their locks.
	Pause time.Duration
}

// Timeout bounds a pass: the budget and the batch in flight.
func (w *RetentionWorker) Timeout(*river.Job[RetentionArgs]) time.Duration {
	return retentionTimeout
}

// Work purges when a retention is set and records the pass for the settings page.
func (w *RetentionWorker) Work(ctx context.Context, _ *river.Job[RetentionArgs]) error {
	p, err := retention.Load(ctx, w.DB)
	if err != nil {
		return err
	}
	if p.Years == 0 {
		return nil // off (the page offers "Purge now" only with a retention set)
	}
	pause := w.Pause
	if pause == 0 {
		pause = 50 * time.Millisecond
	}
	cutoff := retention.Cutoff(w.Now(), p.Years)
	res, err := retention.Purge(ctx, w.DB, cutoff, retention.Options{Budget: retentionBudget, Pause: pause})
	// The record must land even when the pass was cut short by its deadline.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if rerr := retention.Record(rctx, w.DB, w.Now(), res, err); rerr != nil {
		slog.ErrorContext(ctx, "jobs: record retention pass", "err", rerr)
	}
	if err != nil {
		return err
	}
	slog.InfoContext(ctx, "jobs: retention pass", "cutoff", cutoff, "result", res.String())
	return nil
}
