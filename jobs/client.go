// Package jobs holds the River background jobs (one file per kind: Args + Worker),
// builds the River client that `serve` and `worker` run, and offers the web app its
// Queue to start work from a page.
//
// "jobs" means two things in this module. This package is River's (the top-level
// layout is fixed); the backup jobs an MSP monitors are the capability app/jobs. In
// package app, which uses both, `jobs` is always app/jobs and this package is
// imported as riverjobs (the field App.queue holds its *Queue).
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"

	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/app/mail/mailbox"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/db"
)

// The workers' timeouts, in one place so that River's rescue window follows them.
const (
	mailImportTimeout   = 30 * time.Minute
	mailReparseTimeout  = 30 * time.Minute
	missedRunsTimeout   = 10 * time.Minute
	autotaskSyncTimeout = 5 * time.Minute
	// Reports (issue 17): a large report's build, and one delivery's PDF and mail.
	reportGenerateTimeout = 30 * time.Minute
	reportDeliverTimeout  = 5 * time.Minute
	retentionTimeout      = retentionBudget + 5*time.Minute
	// Notifications (issue 20): one message to a mail server or webhook.
	notifyDeliverTimeout = 2 * time.Minute
	// defaultJobTimeout is River's JobTimeout, for the jobs without their own.
	defaultJobTimeout = time.Minute
)

// rescueStuckJobsAfter is when River's rescuer takes a job still "running" as lost (its
// process was killed) and retries or discards it: just past the longest timeout, since a
// job that is still alive then has been cancelled by its own timeout anyway. River's
// default (one hour) left a killed import showing as running for an hour.
const rescueStuckJobsAfter = max(mailImportTimeout, mailReparseTimeout, missedRunsTimeout, autotaskSyncTimeout,
	coveImportTimeout, reportGenerateTimeout, reportDeliverTimeout, retentionTimeout, notifyDeliverTimeout, defaultJobTimeout) + time.Minute

// Config is what the workers need.
type Config struct {
	MaxWorkers int
	Sessions   auth.SessionPolicy
	Now        func() time.Time
	Logger     *slog.Logger // River's own logging; nil means slog.Default()
	Registry   *parsers.Registry
	Keys       *secrets.Keyring
	Sources    mailbox.Options
	// BaseURL is the app's public address, for the links in notifications.
	BaseURL string
	// AutotaskZoneURLs overrides Autotask's zone discovery hosts (tests); nil = the global ones.
	AutotaskZoneURLs []string
}

// NewClient builds a River client on the shared pool with every worker and periodic
// job registered. It does not start working until Start is called.
func NewClient(d *db.DB, cfg Config) (*river.Client[pgx.Tx], error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &SessionCleanupWorker{DB: d.Bun, Policy: cfg.Sessions, Now: cfg.Now})
	if cfg.Registry == nil {
		cfg.Registry = parsers.Default()
	}
	river.AddWorker(workers, &MailImportWorker{DB: d, Registry: cfg.Registry, Keys: cfg.Keys, Sources: cfg.Sources, Now: cfg.Now})
	river.AddWorker(workers, &MailReparseWorker{DB: d, Registry: cfg.Registry, Now: cfg.Now})
	river.AddWorker(workers, &MissedRunsWorker{DB: d.Bun, Now: cfg.Now})
	river.AddWorker(workers, &AutotaskSyncWorker{DB: d.Bun, Keys: cfg.Keys, ZoneURLs: cfg.AutotaskZoneURLs, Now: cfg.Now})
	river.AddWorker(workers, &CoveImportWorker{DB: d, Keys: cfg.Keys, Now: cfg.Now})
	addReportWorkers(workers, d, cfg)
	river.AddWorker(workers, &AuditCleanupWorker{DB: d.Bun, Now: cfg.Now})
	river.AddWorker(workers, &RetentionWorker{DB: d.Bun, Now: cfg.Now})
	addNotifyWorkers(workers, d, cfg)

	client, err := river.NewClient(riverpgxv5.New(d.Pool), &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.MaxWorkers}},
		Workers:              workers,
		JobTimeout:           defaultJobTimeout,
		RescueStuckJobsAfter: rescueStuckJobsAfter,
		Logger:               cfg.Logger.With("component", "river"),
		Middleware:           []rivertype.Middleware{&observeMiddleware{}},
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
				func() (river.JobArgs, *river.InsertOpts) { return SessionCleanupArgs{}, nil },
				&river.PeriodicJobOpts{ID: SessionCleanupArgs{}.Kind(), RunOnStart: true}),
			// Every minute; the worker imports only when the configured interval passed.
			river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
				func() (river.JobArgs, *river.InsertOpts) { return MailImportArgs{}, nil },
				&river.PeriodicJobOpts{ID: MailImportArgs{}.Kind(), RunOnStart: true}),
			missedRunsPeriodicJob(),
			autotaskSyncPeriodicJob(),
			coveImportPeriodicJob(),
			reportSchedulePeriodicJob(),
			reportFilesCleanupPeriodicJob(),
			auditCleanupPeriodicJob(),
			retentionPeriodicJob(),
			notifyFlushPeriodicJob(),
		},
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: new river client: %w", err)
	}
	return client, nil
}

// Stop stops the client: first softly (running jobs finish), then, after timeout,
// by cancelling what still runs.
func Stop(client *river.Client[pgx.Tx], timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := client.Stop(ctx); err == nil {
		return
	}
	slog.Warn("jobs: soft stop timed out; cancelling running jobs")
	ctx2, cancel2 := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel2()
	if err := client.StopAndCancel(ctx2); err != nil {
		slog.Error("jobs: stop", "err", err)
	}
}
