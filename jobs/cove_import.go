package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/backupchecks/backupchecks/app/cove"
	"github.com/backupchecks/backupchecks/app/metrics"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
)

// coveImportTimeout bounds one Cove import (every account, a page of 250 at a time,
// retries with backoff included).
const coveImportTimeout = 20 * time.Minute

// CoveImportArgs imports every account from Cove Data Protection. The periodic
// instance runs every minute and imports when the interval from Settings →
// Integrations → Cove has passed (a changed interval applies without a restart); "Run
// import now" enqueues one with a TaskID that imports at once and reports progress.
// Imports run one at a time across replicas: the periodic ticks are unique per minute
// and an import holds an advisory lock (a tick that finds one running leaves it be).
type CoveImportArgs struct {
	TaskID int64 `json:"task_id,omitempty"`
}

// Kind names the job in River.
func (CoveImportArgs) Kind() string { return "cove_import" }

// InsertOpts: at most one periodic tick per minute; a failed import is retried a few
// times with River's backoff (the client has already retried each call).
func (CoveImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Minute}}
}

func coveImportPeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(time.Minute),
		func() (river.JobArgs, *river.InsertOpts) { return CoveImportArgs{}, nil },
		&river.PeriodicJobOpts{ID: CoveImportArgs{}.Kind(), RunOnStart: true})
}

// CoveImportWorker runs CoveImportArgs.
type CoveImportWorker struct {
	river.WorkerDefaults[CoveImportArgs]
	DB   *db.DB
	Keys *secrets.Keyring
	Now  func() time.Time
	// Client adjusts the Cove client's config (tests: no real waiting); nil = defaults.
	Client func(*cove.Config)
}

// Timeout allows a large partner's import.
func (w *CoveImportWorker) Timeout(*river.Job[CoveImportArgs]) time.Duration {
	return coveImportTimeout
}

// Work imports if due (at once for "Run import now").
func (w *CoveImportWorker) Work(ctx context.Context, job *river.Job[CoveImportArgs]) error {
	manual := job.Args.TaskID != 0
	if manual {
		defer tasks.KeepAlive(ctx, w.DB.Bun, job.Args.TaskID)()
	}
	s, err := settings.Load(ctx, w.DB.Bun)
	if err != nil {
		return err
	}
	if !manual && job.Attempt == 1 && !cove.ImportDue(s, w.Now()) {
		return nil
	}
	res, err := w.importOnce(ctx, s, job.Args.TaskID)
	if errors.Is(err, cove.ErrImportRunning) {
		// Another replica is at it; that import covers this tick.
		if manual {
			return tasks.Finish(ctx, w.DB.Bun, job.Args.TaskID, "", errors.New("a Cove import is already running; its result shows here when it ends"))
		}
		return nil
	}
	metrics.ObserveImport("cove", res.Accounts, err)
	if rerr := cove.RecordImport(ctx, w.DB.Bun, w.Now(), res, err); rerr != nil {
		slog.Error("jobs: record cove import", "err", rerr)
	}
	if manual {
		if ferr := tasks.Finish(ctx, w.DB.Bun, job.Args.TaskID, "Import finished: "+res.String()+".", err); ferr != nil {
			slog.Error("jobs: finish cove import task", "err", ferr)
		}
		if err != nil {
			// The person who clicked sees the failure; retrying by itself would surprise them.
			return river.JobCancel(err)
		}
		return nil
	}
	if err != nil {
		slog.Warn("jobs: cove import failed; River retries it", "err", err, "attempt", job.Attempt)
		return err
	}
	slog.Info("jobs: cove import", "result", res.String())
	return nil
}

func (w *CoveImportWorker) importOnce(ctx context.Context, s *db.SystemSettings, taskID int64) (cove.ImportResult, error) {
	if !s.CoveEnabled {
		return cove.ImportResult{}, errors.New("the Cove integration is not enabled (Settings → Integrations)")
	}
	client, err := cove.ClientFrom(s, w.Keys, w.Client)
	if err != nil {
		return cove.ImportResult{}, err
	}
	opt := cove.OptionsFrom(s, settings.Location(s), w.Now)
	if taskID != 0 {
		if err := tasks.Progress(ctx, w.DB.Bun, taskID, 0, -1, "Connecting to Cove…"); err != nil {
			return cove.ImportResult{}, err
		}
		opt.Progress = func(ctx context.Context, done int, message string) {
			if err := tasks.Progress(ctx, w.DB.Bun, taskID, done, -1, message); err != nil {
				slog.Error("jobs: cove import progress", "err", err)
			}
		}
	}
	res, err := cove.Import(ctx, w.DB.Bun, client, opt)
	if err != nil && !errors.Is(err, cove.ErrImportRunning) {
		return res, fmt.Errorf("cove import: %w", err)
	}
	return res, err
}

// StartCoveImport starts "Run import now".
func (q *Queue) StartCoveImport(ctx context.Context, userID int64) (int64, error) {
	return q.startTask(ctx, cove.TaskKind, userID, func(id int64) river.JobArgs { return CoveImportArgs{TaskID: id} })
}
