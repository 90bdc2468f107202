package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/backupchecks/backupchecks/app/notify"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/db"
)

// NotifyFlushArgs is the periodic sweep of notifications (issue 20): it groups the
// alerts recorded with new runs into one delivery per rule when the rule's group is
// due (and outside its quiet hours, on a working day), plans the daily digests whose
// time came, and enqueues every delivery not yet tried.
type NotifyFlushArgs struct{}

// Kind names the job in River.
func (NotifyFlushArgs) Kind() string { return "notify_flush" }

// InsertOpts keeps one sweep a minute, however many replicas enqueue it.
func (NotifyFlushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Minute}}
}

func notifyFlushPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return NotifyFlushArgs{}, nil },
		&river.PeriodicJobOpts{ID: NotifyFlushArgs{}.Kind(), RunOnStart: true})
}

// NotifyFlushWorker runs NotifyFlushArgs.
type NotifyFlushWorker struct {
	river.WorkerDefaults[NotifyFlushArgs]
	DB      *db.DB
	BaseURL string
	Now     func() time.Time
}

// Work flushes, plans and enqueues. A delivery's job is unique by its id, so one
// enqueued twice (a crash between making and enqueueing) is sent once.
func (w *NotifyFlushWorker) Work(ctx context.Context, _ *river.Job[NotifyFlushArgs]) error {
	sys, err := settings.Load(ctx, w.DB.Bun)
	if err != nil {
		return err
	}
	loc, now := settings.Location(sys), w.Now()
	alerts, err := notify.Flush(ctx, w.DB.Bun, now, loc, w.BaseURL)
	if err != nil {
		return err
	}
	digests, err := notify.PlanDigests(ctx, w.DB.Bun, now, loc, w.BaseURL)
	if err != nil {
		return err
	}
	queued, err := notify.QueuedDeliveries(ctx, w.DB.Bun)
	if err != nil || len(queued) == 0 {
		return err
	}
	params := make([]river.InsertManyParams, len(queued))
	for i, id := range queued {
		params[i] = river.InsertManyParams{Args: NotifyDeliverArgs{DeliveryID: id}}
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("jobs: notify deliveries: %w", err)
	}
	if _, err := client.InsertMany(ctx, params); err != nil {
		return fmt.Errorf("jobs: notify deliveries: enqueue: %w", err)
	}
	slog.InfoContext(ctx, "notify: deliveries enqueued", "alerts", len(alerts), "digests", len(digests), "queued", len(queued))
	return nil
}
