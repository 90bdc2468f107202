package cove

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/schedule"
)

// Processed counts the runs made from the stored statistics of linked accounts.
type Processed struct {
	Runs       int // runs of new sessions
	Backfilled int // runs reconstructed from colour bars
	Offline    int // offline workstation runs raised
	Escalated  int // offline workstation runs changed in place
	Cleared    int // offline workstation runs cleared because backups resumed
}

// External ids of Cove runs, unique per job (a relinked account's sessions become
// runs of its new job too, without colliding with the old job's).
func sessionRunID(accountID int64, key string) string {
	return fmt.Sprintf("cove-%d-%s", accountID, key)
}

func colorBarRunID(accountID int64, day string) string {
	return fmt.Sprintf("cove-colorbar-%d-%s", accountID, day)
}

func offlineRunID(accountID int64, key string) string {
	if key == "" {
		key = "none"
	}
	return fmt.Sprintf("cove-offline-%d-%s", accountID, key)
}

// pendingAccount is a linked account whose last session is no run of its job yet.
type pendingAccount struct {
	AccountID   int64             `bun:"account_id"`
	JobID       int64             `bun:"job_id"`
	Name        string            `bun:"account_name"`
	Computer    string            `bun:"computer_name"`
	Customer    string            `bun:"partner_name"`
	BackupType  string            `bun:"backup_type"`
	LastStatus  string            `bun:"last_status"`
	SessionKey  string            `bun:"session_key"`
	SessionAt   time.Time         `bun:"last_session_at"`
	ColorBar    string            `bun:"colorbar"`
	Statistics  map[string]string `bun:"statistics,type:jsonb"`
	FirstForJob bool              `bun:"first_for_job"` // the job has no Cove run yet: backfill it
}

// ProcessAccounts turns the stored statistics of linked accounts (accountIDs, or every
// linked account when nil) into runs, in tx: a run for each last session that is not
// yet a run of the account's job (through ingest.CreateRuns, so overrides, summaries,
// tickets and live views follow); for a job's first Cove run, the earlier days of the
// colour bar as backfilled runs, after which missed runs on those days are superseded
// and the job's schedule is learned at once; then offline workstations. Idempotent.
func ProcessAccounts(ctx context.Context, tx bun.IDB, accountIDs []int64, opt Options) (Processed, error) {
	var out Processed
	loc := opt.Location
	if loc == nil {
		loc = time.UTC
	}
	now := opt.Now()
	if accountIDs != nil && len(accountIDs) == 0 {
		return out, nil
	}
	var pending []pendingAccount
	q := `
		SELECT a.account_id, j.id AS job_id, coalesce(a.account_name, '') AS account_name,
		       coalesce(a.computer_name, '') AS computer_name, coalesce(a.partner_name, '') AS partner_name,
		       a.backup_type, coalesce(a.last_status, '') AS last_status, a.session_key, a.last_session_at,
		       coalesce(a.colorbar, '') AS colorbar, a.statistics,
		       NOT EXISTS (SELECT FROM job_runs r WHERE r.job_id = j.id AND r.source_type = 'cove_api' AND NOT r.backfilled
		                   AND r.external_id NOT LIKE 'cove-offline-%') AS first_for_job
		FROM cove_accounts a
		JOIN jobs j ON j.cove_account_id = a.account_id AND j.archived_at IS NULL
		WHERE a.session_key IS NOT NULL AND a.last_session_at IS NOT NULL
		  AND NOT EXISTS (SELECT FROM job_runs r WHERE r.job_id = j.id AND r.external_id = 'cove-' || a.account_id || '-' || a.session_key)`
	args := []any{}
	if accountIDs != nil {
		q += " AND a.account_id IN (?)"
		args = append(args, bun.In(accountIDs))
	}
	if err := tx.NewRaw(q+" ORDER BY a.account_id", args...).Scan(ctx, &pending); err != nil {
		return out, fmt.Errorf("cove: linked accounts with new sessions: %w", err)
	}

	reports := make([]ingest.Report, len(pending))
	for i, p := range pending {
		reports[i] = sessionReport(p)
	}
	outcomes, err := ingest.CreateRuns(ctx, tx, reports)
	if err != nil {
		return out, fmt.Errorf("cove: runs of new sessions: %w", err)
	}
	var backfill []ingest.Report
	var learn []int64
	for i, o := range outcomes {
		if o.RunID == 0 || o.Copy {
			continue
		}
		out.Runs++
		if p := pending[i]; p.FirstForJob {
			days := colorBarReports(p, now, loc)
			backfill = append(backfill, days...)
			if len(days) > 0 {
				learn = append(learn, p.JobID)
			}
		}
	}
	if len(backfill) > 0 {
		filled, err := ingest.CreateRuns(ctx, tx, backfill)
		if err != nil {
			return out, fmt.Errorf("cove: colour bar backfill: %w", err)
		}
		for _, o := range filled {
			if o.RunID != 0 && !o.Copy {
				out.Backfilled++
			}
		}
		// The backfilled days are real runs: missed runs on them give way, and the
		// job has a schedule now instead of after the next relearn.
		if _, err := schedule.SupersedeMissed(ctx, tx, now); err != nil {
			return out, err
		}
		if err := schedule.LearnJobs(ctx, tx, learn, loc, now); err != nil {
			return out, err
		}
	}
	if err := processOffline(ctx, tx, accountIDs, opt, &out); err != nil {
		return out, err
	}
	return out, nil
}

// sessionReport is the run of an account's last session: the account's status, a
// message naming device, computer and customer, and one object per active data
// source with its own status, message and session time.
func sessionReport(p pendingAccount) ingest.Report {
	status, label := MapStatus(p.LastStatus)
	var who []string
	for _, f := range []struct{ what, v string }{{"device", p.Name}, {"computer", p.Computer}, {"customer", p.Customer}} {
		if f.v != "" {
			who = append(who, f.what+" "+f.v)
		}
	}
	msg := "Cove: " + label
	if len(who) > 0 {
		msg += " (" + strings.Join(who, ", ") + ")"
	}
	if t := unixTime(p.Statistics[ColLastSuccess]); status != statusSuccess && t != nil && t.Before(p.SessionAt) {
		msg += ". Last successful session " + t.Format("2006-01-02 15:04") + " UTC"
	} else if status != statusSuccess && t == nil {
		msg += ". No successful session known"
	}
	at := p.SessionAt
	run := parsers.ParsedRun{BackupSoftware: Software, BackupType: p.BackupType, JobName: p.Name, Status: status,
		EndedAt: &at, Host: p.Computer, Message: msg + "."}
	for _, code := range SourceCodes(p.Statistics[ColDataSources]) {
		if !readPerSource(code) {
			continue
		}
		st, lbl := MapStatus(p.Statistics[code+fieldStatus])
		obj := parsers.Object{Name: SourceLabel(code), Type: "Cove data source", Status: st, Error: lbl}
		if t := unixTime(p.Statistics[code+fieldSessionTime]); t != nil {
			obj.ObservedAt = t
			obj.Error += " · session " + t.Format("2006-01-02 15:04") + " UTC"
		}
		run.Objects = append(run.Objects, obj)
	}
	return ingest.Report{Source: ingest.SourceCove, ExternalID: sessionRunID(p.AccountID, p.SessionKey), JobID: p.JobID,
		ReceivedAt: at, Run: run}
}

func readPerSource(code string) bool {
	for _, ds := range DataSources {
		if ds.Code == code {
			return true
		}
	}
	return false
}

// colorBarReports reconstructs the days of the colour bar before the last session's
// day (up to 27: the bar's last day is today, and the session's day has its real
// run) as backfilled runs at the session's time of day, days without a backup left
// out. The bar is read as of now, in loc.
func colorBarReports(p pendingAccount, now time.Time, loc *time.Location) []ingest.Report {
	session := p.SessionAt.In(loc)
	sessionDay := time.Date(session.Year(), session.Month(), session.Day(), 0, 0, 0, 0, loc)
	today := now.In(loc)
	var out []ingest.Report
	for _, d := range ParseColorBar(p.ColorBar) {
		if d.Code == "0" {
			continue
		}
		date := time.Date(today.Year(), today.Month(), today.Day()-d.Offset, 0, 0, 0, 0, loc)
		if !date.Before(sessionDay) {
			continue
		}
		at := time.Date(date.Year(), date.Month(), date.Day(), session.Hour(), session.Minute(), session.Second(), 0, loc)
		out = append(out, ingest.Report{Source: ingest.SourceCove, ExternalID: colorBarRunID(p.AccountID, date.Format(time.DateOnly)),
			JobID: p.JobID, ReceivedAt: at, Backfilled: true,
			Run: parsers.ParsedRun{BackupSoftware: Software, BackupType: p.BackupType, JobName: p.Name, Status: d.Status,
				Host: p.Computer, Message: "Reconstructed from Cove's 28-day colour bar: " + d.Label + "."}})
	}
	return out
}
