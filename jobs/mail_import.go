package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail/mailbox"
	"github.com/backupchecks/backupchecks/app/metrics"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/secrets"
	"github.com/backupchecks/backupchecks/app/settings"
	"github.com/backupchecks/backupchecks/app/tasks"
	"github.com/backupchecks/backupchecks/db"
)

// MailImportArgs imports mail from the configured mailbox. The periodic instance runs
// every minute and imports when the interval from Settings → Imports has passed (so a
// changed interval applies without a restart); "Import now" enqueues one with a TaskID
// that imports at once and reports progress.
type MailImportArgs struct {
	TaskID int64 `json:"task_id,omitempty"`
}

// Kind names the job in River.
func (MailImportArgs) Kind() string { return "mail_import" }

// InsertOpts: at most one periodic tick per minute; a failed import is retried a few
// times with River's backoff.
func (MailImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true, ByPeriod: time.Minute}}
}

// MailImportWorker runs MailImportArgs.
type MailImportWorker struct {
	river.WorkerDefaults[MailImportArgs]
	DB       *db.DB
	Registry *parsers.Registry
	Keys     *secrets.Keyring
	Sources  mailbox.Options
	Now      func() time.Time
}

// Timeout allows a large mailbox's import; the import stops after a bounded number of
// rounds anyway and the next one continues.
func (w *MailImportWorker) Timeout(*river.Job[MailImportArgs]) time.Duration {
	return mailImportTimeout
}

// Work imports if due.
func (w *MailImportWorker) Work(ctx context.Context, job *river.Job[MailImportArgs]) error {
	manual := job.Args.TaskID != 0
	if manual {
		defer tasks.KeepAlive(ctx, w.DB.Bun, job.Args.TaskID)()
	}
	s, err := settings.Load(ctx, w.DB.Bun)
	if err != nil {
		return err
	}
	if !manual && job.Attempt == 1 && !settings.ImportDue(s, w.Now()) {
		return nil
	}
	res, err := w.importOnce(ctx, s, job.Args.TaskID)
	if errors.Is(err, ingest.ErrImportRunning) {
		// Another replica is at it; that import covers this tick.
		if manual {
			return tasks.Finish(ctx, w.DB.Bun, job.Args.TaskID, "", err)
		}
		return nil
	}
	metrics.ObserveImport(s.MailSource, res.Fetched, err)
	if rerr := ingest.RecordImport(ctx, w.DB.Bun, w.Now(), res, err); rerr != nil {
		slog.ErrorContext(ctx, "jobs: record mail import", "err", rerr)
	}
	if manual {
		if ferr := tasks.Finish(ctx, w.DB.Bun, job.Args.TaskID, "Import finished: "+res.String()+".", err); ferr != nil {
			slog.Error("jobs: finish import task", "err", ferr)
		}
		if err != nil {
			// The person who clicked sees the failure; retrying by itself would surprise them.
			return river.JobCancel(err)
		}
		return nil
	}
	if err != nil {
		slog.WarnContext(ctx, "jobs: mail import failed; River retries it", "err", err, "attempt", job.Attempt)
		return err
	}
	slog.InfoContext(ctx, "jobs: mail import", "result", res.String())
	return nil
}

func (w *MailImportWorker) importOnce(ctx context.Context, s *db.SystemSettings, taskID int64) (ingest.ImportResult, error) {
	im, err := settings.ImportsFrom(s, w.Keys)
	if err != nil {
		return ingest.ImportResult{}, err
	}
	src, key, err := mailbox.FromSettings(im, w.Sources)
	if err != nil {
		return ingest.ImportResult{}, err
	}
	imp := &ingest.Importer{DB: w.DB, Registry: w.Registry, Now: w.Now}
	if taskID != 0 {
		if err := tasks.Progress(ctx, w.DB.Bun, taskID, 0, -1, "Connecting to the mailbox…"); err != nil {
			return ingest.ImportResult{}, err
		}
		imp.Progress = func(ctx context.Context, r ingest.ImportResult) {
			if err := tasks.Progress(ctx, w.DB.Bun, taskID, r.Fetched, -1, "Importing: "+r.String()); err != nil {
				slog.Error("jobs: import progress", "err", err)
			}
		}
	}
	res, err := imp.Import(ctx, src, key, im.BatchSize)
	if err != nil {
		return res, fmt.Errorf("mail import: %w", err)
	}
	return res, nil
}
