package cloudconnect

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/parsers"
)

// runRow is the newest stored row of a linked account for one report date.
type runRow struct {
	AccountID  int64     `bun:"account_id"`
	JobID      int64     `bun:"job_id"`
	MailID     int64     `bun:"mail_message_id"`
	ReceivedAt time.Time `bun:"received_at"`
	ExternalID string    `bun:"external_id"`
	User       string    `bun:"user_name"`
	Section    string    `bun:"section"`
	RepoName   string    `bun:"repo_name"`
	Repository string    `bun:"repository"`
	QuotaText  string    `bun:"quota_text"`
	UsedText   string    `bun:"used_text"`
	FreeText   string    `bun:"free_text"`
	QuotaBytes *int64    `bun:"quota_bytes"`
	UsedBytes  *int64    `bun:"used_bytes"`
	Status     string    `bun:"status"`
	Message    string    `bun:"message"`
}

// makeRuns makes (or updates) the runs of linked accounts for the report dates that
// the stored rows matching where (on cloud_connect_report_rows r) touch. Each (account,
// date) takes its newest row of a report that is not deleted, so reading an older
// mail again never puts an older result back. Returns how many runs were created or
// updated.
func makeRuns(ctx context.Context, tx bun.IDB, where string, args ...any) (int, error) {
	var rows []runRow
	if err := tx.NewRaw(`
		WITH touched AS (
			SELECT DISTINCT r.account_id, r.report_date FROM cloud_connect_report_rows r WHERE `+where+`
		)
		SELECT DISTINCT ON (r.account_id, r.report_date)
		       r.account_id, a.job_id, r.mail_message_id, r.received_at, r.external_id, a.user_name, a.section, a.repo_name,
		       r.repository, r.quota_text, r.used_text, r.free_text, r.quota_bytes, r.used_bytes, r.status, r.message
		FROM touched t
		JOIN cloud_connect_report_rows r ON r.account_id = t.account_id AND r.report_date = t.report_date
		JOIN cloud_connect_accounts a ON a.id = r.account_id AND a.job_id IS NOT NULL
		JOIN mail_messages m ON m.id = r.mail_message_id AND m.location <> 'deleted'
		ORDER BY r.account_id, r.report_date, r.received_at DESC, r.mail_message_id DESC`, args...).Scan(ctx, &rows); err != nil {
		return 0, fmt.Errorf("cloudconnect: rows of linked accounts: %w", err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	reports := make([]ingest.Report, len(rows))
	for i, r := range rows {
		reports[i] = r.report()
	}
	out, err := ingest.CreateRuns(ctx, tx, reports)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, o := range out {
		if o.RunID != 0 && !o.Copy {
			n++
		}
	}
	return n, nil
}

// report is the row as a run of its account's job: dated at the report's arrival,
// with the repository as its one object carrying the figures.
func (r runRow) report() ingest.Report {
	row := parsers.CloudConnectRow{User: r.User, Section: r.Section, RepoName: r.RepoName, Repository: r.Repository,
		QuotaText: r.QuotaText, UsedText: r.UsedText, FreeText: r.FreeText}
	figures := row.Figures()
	if pct, ok := usedPercent(r.UsedBytes, r.QuotaBytes); ok && r.UsedText != "" && r.QuotaText != "" {
		figures = "used " + r.UsedText + " of " + r.QuotaText + " (" + percentText(pct) + ")"
		if r.FreeText != "" {
			figures += ", " + r.FreeText + " free"
		}
	}
	return ingest.Report{Source: ingest.SourceCloudConnect, ExternalID: r.ExternalID, JobID: r.JobID,
		ReceivedAt: r.ReceivedAt, MailID: r.MailID, Update: true,
		Run: parsers.ParsedRun{BackupSoftware: Software, BackupType: r.Section, JobName: row.Label(), Status: r.Status,
			Host: r.User, Message: r.Message,
			Objects: []parsers.Object{{Name: row.Label(), Type: ObjectType, Status: r.Status, Error: figures}}}}
}
