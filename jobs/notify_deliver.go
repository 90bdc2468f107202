package jobs

import (
	"context"
	"net/http"
	"time"

	"github.com/riverqueue/river"

	"github.com/backupchecks/backupchecks/app/notify"
	"github.com/backupchecks/backupchecks/app/outbound"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/db"
)

// NotifyDeliverArgs sends one notification delivery (an alert group, a digest).
type NotifyDeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind names the job in River.
func (NotifyDeliverArgs) Kind() string { return "notify_deliver" }

// InsertOpts: one job per delivery, ever (River's uniqueness covers completed jobs
// too), tried notify.MaxAttempts times.
func (NotifyDeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: notify.MaxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// NotifyDeliverWorker runs NotifyDeliverArgs.
type NotifyDeliverWorker struct {
	river.WorkerDefaults[NotifyDeliverArgs]
	DB   *db.DB
	Keys *secrets.Keyring
	Now  func() time.Time
	// Mailer replaces the mail channel of the settings, HTTP the webhook client (tests).
	Mailer outbound.Mailer
	HTTP   *http.Client
}

// Timeout allows a slow mail server or webhook.
func (w *NotifyDeliverWorker) Timeout(*river.Job[NotifyDeliverArgs]) time.Duration {
	return notifyDeliverTimeout
}

// NextRetry backs off 1, 5, 25 and 125 minutes.
func (w *NotifyDeliverWorker) NextRetry(job *river.Job[NotifyDeliverArgs]) time.Time {
	return time.Now().Add(notify.RetryDelay(job.Attempt))
}

// Work sends the delivery; a failure is returned so that River retries it.
func (w *NotifyDeliverWorker) Work(ctx context.Context, job *river.Job[NotifyDeliverArgs]) error {
	return notify.Deliver(ctx, w.DB.Bun, w.Keys, notify.Sender{Mailer: w.Mailer, HTTP: w.HTTP, Now: w.Now},
		job.Args.DeliveryID, job.Attempt, w.Now())
}

// addNotifyWorkers registers the notification workers (issue 20).
func addNotifyWorkers(workers *river.Workers, d *db.DB, cfg Config) {
	river.AddWorker(workers, &NotifyFlushWorker{DB: d, BaseURL: cfg.BaseURL, Now: cfg.Now})
	river.AddWorker(workers, &NotifyDeliverWorker{DB: d, Keys: cfg.Keys, Now: cfg.Now})
}
