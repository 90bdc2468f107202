package cove

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/overrides"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/review"
)

// Offline workstations. A linked workstation whose colour bar ends in WarningDays or
// more days without a backup gets one synthetic run, Warning (Failed from FailedDays),
// external id cove-offline-<account>-<last session>: one per offline spell, never
// duplicated (a reviewed one is left as it is and not raised again for the same
// spell). While the spell lasts the open run escalates in place (status and the day
// count in its message). When backups resume (fewer days without one than
// WarningDays, or a new session) the open run clears itself: it is marked reviewed by
// Backupchecks, with a review event saying why. Reviewed runs are never touched.
// Workstations get no schedule-based missed runs (app/schedule leaves them out), so
// this is how a silent one shows up.

// clearedBy is the review event's actor name of a cleared offline run.
const clearedBy = "Backupchecks (backups resumed)"

type offlineAccount struct {
	AccountID  int64      `bun:"account_id"`
	JobID      int64      `bun:"job_id"`
	Name       string     `bun:"account_name"`
	Computer   string     `bun:"computer_name"`
	SessionKey string     `bun:"session_key"`
	SessionAt  *time.Time `bun:"last_session_at"`
	DaysOff    int        `bun:"days_off"`
	OpenID     *int64     `bun:"open_id"`
	OpenStatus string     `bun:"open_status"`
	OpenExtID  string     `bun:"open_external_id"`
	OpenMsg    string     `bun:"open_message"`
}

// daysOffSQL is how many days at the end of a's colour bar (its last 28) are '0'.
const daysOffSQL = `(length(right(coalesce(a.colorbar, ''), 28)) - length(rtrim(right(coalesce(a.colorbar, ''), 28), '0')))`

func processOffline(ctx context.Context, tx bun.IDB, accountIDs []int64, opt Options, out *Processed) error {
	rule := opt.Offline
	if rule.WarningDays < 1 || rule.FailedDays <= rule.WarningDays {
		return fmt.Errorf("cove: offline thresholds %d and %d days are not in order", rule.WarningDays, rule.FailedDays)
	}
	q := `
		SELECT a.account_id, j.id AS job_id, coalesce(a.account_name, '') AS account_name,
		       coalesce(a.computer_name, '') AS computer_name, coalesce(a.session_key, '') AS session_key,
		       a.last_session_at, ` + daysOffSQL + ` AS days_off,
		       o.id AS open_id, coalesce(o.status, '') AS open_status, coalesce(o.external_id, '') AS open_external_id,
		       coalesce(o.message, '') AS open_message
		FROM cove_accounts a
		JOIN jobs j ON j.cove_account_id = a.account_id AND j.archived_at IS NULL
		LEFT JOIN LATERAL (
			SELECT r.id, r.status, r.external_id, r.message FROM job_runs r
			WHERE r.job_id = j.id AND r.reviewed_at IS NULL AND r.external_id LIKE 'cove-offline-%'
			ORDER BY r.run_at DESC LIMIT 1) o ON true
		WHERE a.backup_type = ? AND (o.id IS NOT NULL OR (? AND ` + daysOffSQL + ` >= ?))`
	args := []any{TypeWorkstation, rule.Enabled, rule.WarningDays}
	if accountIDs != nil {
		q += " AND a.account_id IN (?)"
		args = append(args, bun.In(accountIDs))
	}
	var rows []offlineAccount
	if err := tx.NewRaw(q+" ORDER BY a.account_id", args...).Scan(ctx, &rows); err != nil {
		return fmt.Errorf("cove: offline workstations: %w", err)
	}
	now := opt.Now()
	var raise []ingest.Report
	var clear []int64
	type change struct {
		ID      int64  `bun:"id"`
		Status  string `bun:"status"`
		Message string `bun:"message"`
	}
	var changes []change
	for _, r := range rows {
		extID := offlineRunID(r.AccountID, r.SessionKey)
		want := ""
		switch {
		case !rule.Enabled || r.DaysOff < rule.WarningDays:
		case r.DaysOff >= rule.FailedDays:
			want = statusFailed
		default:
			want = statusWarning
		}
		resumed := r.DaysOff < rule.WarningDays
		if r.OpenID != nil && (resumed || r.OpenExtID != extID) {
			clear = append(clear, *r.OpenID)
			r.OpenID = nil
		}
		if want == "" {
			continue
		}
		msg := offlineMessage(r, rule)
		switch {
		case r.OpenID == nil:
			raise = append(raise, ingest.Report{Source: ingest.SourceCove, ExternalID: extID, JobID: r.JobID, ReceivedAt: now,
				Run: parsers.ParsedRun{BackupSoftware: Software, BackupType: TypeWorkstation, JobName: r.Name, Status: want,
					Host: r.Computer, Message: msg}})
		case r.OpenStatus != want || r.OpenMsg != msg:
			changes = append(changes, change{ID: *r.OpenID, Status: want, Message: msg})
		}
	}

	if len(clear) > 0 {
		n, err := clearOffline(ctx, tx, clear)
		if err != nil {
			return err
		}
		out.Cleared += n
	}
	if len(raise) > 0 {
		outcomes, err := ingest.CreateRuns(ctx, tx, raise)
		if err != nil {
			return fmt.Errorf("cove: offline workstation runs: %w", err)
		}
		for _, o := range outcomes {
			if o.RunID != 0 && !o.Copy {
				out.Offline++
			}
		}
	}
	if len(changes) > 0 {
		var changed []runRef
		err := tx.NewUpdate().With("_data", tx.NewValues(&changes)).
			TableExpr("job_runs AS r").TableExpr("_data").
			Set("status = _data.status").Set("message = _data.message").Set("updated_at = now()").
			Where("r.id = _data.id AND r.reviewed_at IS NULL").
			Returning("r.id, r.job_id").Scan(ctx, &changed)
		if err != nil {
			return fmt.Errorf("cove: escalate offline workstation runs: %w", err)
		}
		ids, jobs := splitRuns(changed)
		out.Escalated += len(ids)
		if err := runsChanged(ctx, tx, ids, jobs); err != nil {
			return err
		}
	}
	return nil
}

// offlineMessage says how long the workstation has not backed up and what follows.
func offlineMessage(r offlineAccount, rule OfflineRule) string {
	since := "no backup in Cove's 28-day colour bar"
	if r.SessionAt != nil {
		since = "last session " + r.SessionAt.UTC().Format("2006-01-02 15:04") + " UTC"
	}
	msg := fmt.Sprintf("Offline workstation: no backup for %d days (%s).", r.DaysOff, since)
	if r.DaysOff < rule.FailedDays {
		msg += fmt.Sprintf(" Failed from %d days.", rule.FailedDays)
	}
	return msg + " Clears itself when backups resume."
}

// clearOffline marks open offline runs reviewed by Backupchecks, with a review event
// saying why, and recounts their jobs. Returns how many it cleared.
func clearOffline(ctx context.Context, tx bun.IDB, runIDs []int64) (int, error) {
	var cleared []runRef
	err := tx.NewRaw(`
		UPDATE job_runs SET reviewed_at = now(), reviewed_by = NULL, updated_at = now(),
		       message = coalesce(message || ' ', '') || 'Cleared: backups resumed.'
		WHERE id IN (?) AND reviewed_at IS NULL
		RETURNING id, job_id`, bun.In(runIDs)).Scan(ctx, &cleared)
	if err != nil {
		return 0, fmt.Errorf("cove: clear offline workstation runs: %w", err)
	}
	ids, jobs := splitRuns(cleared)
	if len(ids) == 0 {
		return 0, nil
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO job_run_review_events (job_run_id, action, actor_name)
		SELECT id, 'reviewed', ? FROM unnest(?::bigint[]) AS id`, clearedBy, pgdialect.Array(ids)); err != nil {
		return 0, fmt.Errorf("cove: record cleared offline runs: %w", err)
	}
	if err := review.RecountJobSummaries(ctx, tx, jobs); err != nil {
		return 0, err
	}
	return len(ids), live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns, IDs: ids})
}

// runsChanged follows a change of unreviewed runs' status: the overrides are
// evaluated again, the jobs recounted and live views told.
func runsChanged(ctx context.Context, tx bun.IDB, runIDs, jobIDs []int64) error {
	if len(runIDs) == 0 {
		return nil
	}
	if _, err := overrides.Apply(ctx, tx, runIDs); err != nil {
		return err
	}
	if err := review.RecountJobSummaries(ctx, tx, jobIDs); err != nil {
		return err
	}
	return live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns, IDs: runIDs})
}

// runRef is a run and its job.
type runRef struct {
	ID    int64 `bun:"id"`
	JobID int64 `bun:"job_id"`
}

// splitRuns is the runs' ids and their distinct jobs.
func splitRuns(rows []runRef) (ids, jobs []int64) {
	seen := map[int64]bool{}
	for _, r := range rows {
		ids = append(ids, r.ID)
		if !seen[r.JobID] {
			seen[r.JobID] = true
			jobs = append(jobs, r.JobID)
		}
	}
	return ids, jobs
}
