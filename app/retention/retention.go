// Package retention keeps the database from growing for ever: runs and mails older than
// the configured number of years are deleted by the River job "retention", in small
// batches, each its own short transaction, so that imports and reviews go on meanwhile.
// The figures of what a setting would remove are shown before it is saved.
package retention

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/app/validation"
)

// MaxYears is the longest retention that can be set (the database allows it too).
const MaxYears = 25

// Audit actions.
const (
	ActionSet    = "settings.retention"
	ActionPurged = "retention.purged"
)

// Policy is the retention setting and the last pass.
type Policy struct {
	Years      int        `bun:"retention_years"` // 0: keep everything
	LastRunAt  *time.Time `bun:"retention_last_run_at"`
	LastResult string     `bun:"retention_last_result"`
}

// Load reads the policy.
func Load(ctx context.Context, idb bun.IDB) (Policy, error) {
	var p Policy
	if err := idb.NewRaw(`SELECT retention_years, retention_last_run_at, retention_last_result FROM system_settings WHERE id = 1`).
		Scan(ctx, &p); err != nil {
		return p, fmt.Errorf("retention: load: %w", err)
	}
	return p, nil
}

// Validate checks a number of years as typed in the form.
func Validate(years int) error {
	if years < 0 || years > MaxYears {
		return validation.Errors{"years": fmt.Sprintf("Enter a number of years from 1 to %d, or 0 to keep everything.", MaxYears)}
	}
	return nil
}

// Save sets the number of years and audits the change.
func Save(ctx context.Context, bdb *bun.DB, actor audit.Actor, years int) error {
	if err := Validate(years); err != nil {
		return err
	}
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var old int
		if err := tx.NewRaw(`SELECT retention_years FROM system_settings WHERE id = 1 FOR UPDATE`).Scan(ctx, &old); err != nil {
			return fmt.Errorf("retention: save: %w", err)
		}
		if old == years {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE system_settings SET retention_years = ? WHERE id = 1`, years); err != nil {
			return fmt.Errorf("retention: save: %w", err)
		}
		return audit.Record(ctx, tx, actor, ActionSet, "settings", map[string]any{"retention_years": []int{old, years}})
	})
}

// Cutoff is the instant before which runs and mails are removed with years of retention.
func Cutoff(now time.Time, years int) time.Time { return now.AddDate(-years, 0, 0) }

// Preview is what a retention of Years would remove now.
type Preview struct {
	Years  int
	Cutoff time.Time
	Runs   int64 `bun:"runs"`
	Mails  int64 `bun:"mails"`
}

// Count counts the runs and mails older than years (both by index).
func Count(ctx context.Context, idb bun.IDB, years int, now time.Time) (Preview, error) {
	p := Preview{Years: years, Cutoff: Cutoff(now, years)}
	if years <= 0 {
		return p, nil
	}
	if err := idb.NewRaw(`SELECT (SELECT count(*) FROM job_runs WHERE run_at < ?0) AS runs,
		(SELECT count(*) FROM mail_messages WHERE received_at < ?0) AS mails`, p.Cutoff).Scan(ctx, &p); err != nil {
		return p, fmt.Errorf("retention: count: %w", err)
	}
	return p, nil
}

// Batch sizes: a batch is one transaction holding row locks on these rows alone.
// Mails are larger (the raw message) and go in smaller batches.
const (
	RunBatch  = 1000
	MailBatch = 200
)

// Options bound one purge pass.
type Options struct {
	RunBatch, MailBatch int
	// Budget is how long one pass may take; the next pass continues where it stopped.
	Budget time.Duration
	// Pause between batches lets other writers take the locks they wait for.
	Pause time.Duration
	// Progress is told the totals after each batch.
	Progress func(Result)
}

// Result is what a pass removed.
type Result struct {
	Runs, Mails int64
	Batches     int
	More        bool // the budget ran out before everything old was removed
}

func (r Result) String() string {
	s := fmt.Sprintf("%d runs and %d mails removed", r.Runs, r.Mails)
	if r.More {
		s += "; more remain for the next pass"
	}
	return s
}

// Purge deletes the runs older than cutoff (with their review events, ticket and
// remark links and object links; tickets and remarks themselves stay), then the mails
// older than cutoff (runs that are kept lose the link to such a mail), batch by batch,
// and recounts the job summaries of the runs removed.
func Purge(ctx context.Context, bdb *bun.DB, cutoff time.Time, o Options) (Result, error) {
	if o.RunBatch <= 0 {
		o.RunBatch = RunBatch
	}
	if o.MailBatch <= 0 {
		o.MailBatch = MailBatch
	}
	var res Result
	start := time.Now()
	steps := []struct {
		purge func(context.Context, bun.Tx) (int64, error)
		count *int64
	}{
		{func(ctx context.Context, tx bun.Tx) (int64, error) { return purgeRuns(ctx, tx, cutoff, o.RunBatch) }, &res.Runs},
		{func(ctx context.Context, tx bun.Tx) (int64, error) { return purgeMails(ctx, tx, cutoff, o.MailBatch) }, &res.Mails},
	}
	for _, step := range steps {
		for {
			if res.Batches > 0 {
				if o.Budget > 0 && time.Since(start) > o.Budget {
					res.More = true
					return res, nil
				}
				if err := sleep(ctx, o.Pause); err != nil {
					return res, err
				}
			}
			var n int64
			err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				var err error
				n, err = step.purge(ctx, tx)
				return err
			})
			if err != nil {
				return res, err
			}
			if n == 0 {
				break
			}
			*step.count += n
			res.Batches++
			if o.Progress != nil {
				o.Progress(res)
			}
		}
	}
	return res, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// purgeRuns deletes one batch of old runs, skipping rows another transaction holds.
func purgeRuns(ctx context.Context, tx bun.Tx, cutoff time.Time, limit int) (int64, error) {
	var batch []struct {
		ID    int64 `bun:"id"`
		JobID int64 `bun:"job_id"`
	}
	if err := tx.NewRaw(`SELECT id, job_id FROM job_runs WHERE run_at < ? ORDER BY run_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
		cutoff, limit).Scan(ctx, &batch); err != nil {
		return 0, fmt.Errorf("retention: select runs: %w", err)
	}
	if len(batch) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(batch))
	jobSet := map[int64]bool{}
	var jobIDs []int64
	for i, r := range batch {
		ids[i] = r.ID
		if !jobSet[r.JobID] {
			jobSet[r.JobID] = true
			jobIDs = append(jobIDs, r.JobID)
		}
	}
	for _, q := range []string{
		`DELETE FROM job_run_review_events WHERE job_run_id IN (?)`,
		`DELETE FROM ticket_job_runs WHERE job_run_id IN (?)`,
		`DELETE FROM remark_job_runs WHERE job_run_id IN (?)`,
		`DELETE FROM job_runs WHERE id IN (?)`, // run_object_links go with them (ON DELETE CASCADE)
	} {
		if _, err := tx.ExecContext(ctx, q, bun.In(ids)); err != nil {
			return 0, fmt.Errorf("retention: delete runs: %w", err)
		}
	}
	// An old run may still have been waiting for review: the jobs' figures follow.
	if err := review.RecountJobSummaries(ctx, tx, jobIDs); err != nil {
		return 0, fmt.Errorf("retention: recount summaries: %w", err)
	}
	return int64(len(ids)), nil
}

// purgeMails deletes one batch of old mails (their objects and inline parts go with them).
func purgeMails(ctx context.Context, tx bun.Tx, cutoff time.Time, limit int) (int64, error) {
	var ids []int64
	if err := tx.NewRaw(`SELECT id FROM mail_messages WHERE received_at < ? ORDER BY received_at, id LIMIT ? FOR UPDATE SKIP LOCKED`,
		cutoff, limit).Scan(ctx, &ids); err != nil {
		return 0, fmt.Errorf("retention: select mails: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM mail_messages WHERE id IN (?)`, bun.In(ids)); err != nil {
		return 0, fmt.Errorf("retention: delete mails: %w", err)
	}
	return int64(len(ids)), nil
}

// Record stores the pass's time and result for the settings page, audits a pass that
// removed something, and refreshes the live views it changed.
func Record(ctx context.Context, bdb *bun.DB, at time.Time, res Result, purgeErr error) error {
	msg := res.String()
	switch {
	case purgeErr != nil && res.Runs+res.Mails == 0:
		msg = "failed: " + purgeErr.Error()
	case purgeErr != nil:
		msg = "failed after " + msg + ": " + purgeErr.Error()
	}
	return bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE system_settings SET retention_last_run_at = ?, retention_last_result = ? WHERE id = 1`,
			at, truncate(msg, 2000)); err != nil {
			return fmt.Errorf("retention: record: %w", err)
		}
		if res.Runs+res.Mails == 0 {
			return nil
		}
		if err := audit.Record(ctx, tx, audit.Actor{Name: "Data retention"}, ActionPurged, "database",
			map[string]any{"runs": res.Runs, "mails": res.Mails, "more": res.More}); err != nil {
			return err
		}
		return errors.Join(live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns}), live.Notify(ctx, tx, live.Event{Topic: live.TopicInbox}))
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// Running reports whether a retention pass is queued or running (River's job row).
func Running(ctx context.Context, idb bun.IDB) (bool, error) {
	var running bool
	if err := idb.NewRaw(`SELECT EXISTS (SELECT 1 FROM river_job WHERE kind = 'retention'
		AND state IN ('available', 'pending', 'running', 'retryable', 'scheduled'))`).Scan(ctx, &running); err != nil {
		return false, fmt.Errorf("retention: running: %w", err)
	}
	return running, nil
}
