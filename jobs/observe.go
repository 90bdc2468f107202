package jobs

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/backupchecks/backupchecks/app/logctx"
	"github.com/backupchecks/backupchecks/app/metrics"
)

// observeMiddleware surrounds every job attempt: its log lines carry the job's id,
// kind and attempt (logctx), its outcome and duration are counted per kind (metrics),
// and a failed attempt is logged once, with the job's arguments minus anything that
// looks like a secret.
type observeMiddleware struct {
	river.MiddlewareDefaults
}

// Work implements rivertype.WorkerMiddleware.
func (observeMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	ctx = logctx.With(ctx, slog.Int64("job_id", job.ID), slog.String("job_kind", job.Kind), slog.Int("attempt", job.Attempt))
	start := time.Now()
	err := doInner(ctx)
	outcome := jobOutcome(job, err)
	metrics.ObserveJob(job.Kind, outcome, time.Since(start))
	switch outcome {
	case metrics.OutcomeFailed, metrics.OutcomeDiscarded:
		level := slog.LevelWarn
		if outcome == metrics.OutcomeDiscarded {
			level = slog.LevelError
		}
		slog.Log(ctx, level, "jobs: job failed", "err", err, "outcome", outcome,
			"max_attempts", job.MaxAttempts, "args", logctx.Redacted(job.EncodedArgs))
	}
	return err
}

// jobOutcome names what River makes of an attempt that returned err.
func jobOutcome(job *rivertype.JobRow, err error) string {
	var snooze *river.JobSnoozeError
	switch {
	case err == nil:
		return metrics.OutcomeCompleted
	case errors.Is(err, &river.JobCancelError{}):
		return metrics.OutcomeCancelled
	case errors.As(err, &snooze):
		return metrics.OutcomeSnoozed
	case job.Attempt >= job.MaxAttempts:
		return metrics.OutcomeDiscarded
	}
	return metrics.OutcomeFailed
}
