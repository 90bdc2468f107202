// Package ingest is the common processor every source of runs ends in (docs/architecture.md §1).
//
// CreateRuns (report.go) is the source-neutral entry: a source's Reports (a
// ParsedRun, its identity at the source, what its job is known by) → the job matched,
// or the report left staged at its source → one run per job and external id, however
// often reported → the run's objects → RunsCreated. RunsCreated (created.go) is the one
// step after new runs exist, for every source and for the schedule's missed runs:
// overrides → the jobs' summaries (app/review) → open tickets and remarks → live views.
//
// Mail is the first source: StoreBatch stores and parses the messages of a mailbox, an
// upload or the CLI (store.go; Tally counts what became of them), ProcessMails turns
// those of known jobs into Reports (this file), Importer pulls a mail.Source in rounds,
// and Reparse runs the parsers again. How a mailbox is built is app/mail/mailbox's
// business, MIME is app/mail's; this package gives the parsers what they read of a
// decoded mail (parserMail). Everything is set-based SQL in the caller's transaction.
package ingest

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/db"
)

// ProcessedRun is a run created from a mail, or (Duplicate) a mail that was a copy of
// a report already a run of its job, linked to that run's job without a run of its own.
type ProcessedRun struct {
	RunID     int64
	JobID     int64
	MailID    int64
	Duplicate bool
}

// mailReport is a mail ProcessMails turns into a Report.
type mailReport struct {
	db.MailMessage
	objects []parsers.Object
}

// ProcessMails turns those of the given mails that match a known job into runs of that
// job (CreateRuns) and moves them out of the Inbox. A mail whose parser named its job
// is matched by the job's matching key (sender, software, type, job name); one without
// a job name (the generic parser's) by the job's match rule (sender and subject
// pattern). The run's external id is the report's own identity when it has one
// ("report:<key>"), so that a copy of a report (a forwarded one) is the same run, else
// the mail's ("mail:<id>"); of several copies in the batch, the first received is the
// run. A run is never dated after its mail arrived. A mail that is a copy of a report
// already a run of the job becomes no second run: it is linked to the job and leaves
// the Inbox too, and is returned with Duplicate set. Mails without a parse result or
// of no known job are left as they are (the Inbox is their staging), and so are reports
// on many accounts (HandleAccountReports), which are never one job's. Idempotent: a
// mail already linked to a job is not processed again.
func ProcessMails(ctx context.Context, tx bun.IDB, mailIDs []int64) ([]ProcessedRun, error) {
	if len(mailIDs) == 0 {
		return nil, nil
	}
	mails, err := loadMailReports(ctx, tx, mailIDs)
	if err != nil || len(mails) == 0 {
		return nil, err
	}
	reports := make([]Report, len(mails))
	for i, m := range mails {
		reports[i] = m.report()
	}
	outcomes, err := CreateRuns(ctx, tx, reports)
	if err != nil {
		return nil, err
	}
	var runs []ProcessedRun
	var ids, jobIDs []int64
	for i, o := range outcomes {
		if o.JobID == 0 {
			continue
		}
		runs = append(runs, ProcessedRun{RunID: o.RunID, JobID: o.JobID, MailID: mails[i].ID, Duplicate: o.Copy})
		ids, jobIDs = append(ids, mails[i].ID), append(jobIDs, o.JobID)
	}
	if len(ids) > 0 {
		if _, err := tx.ExecContext(ctx, `
			UPDATE mail_messages m SET job_id = x.job_id, location = 'processed', updated_at = now()
			FROM unnest(?::bigint[], ?::bigint[]) AS x(id, job_id) WHERE m.id = x.id`,
			pgdialect.Array(ids), pgdialect.Array(jobIDs)); err != nil {
			return nil, fmt.Errorf("ingest: link mails: %w", err)
		}
	}
	return runs, nil
}

// loadMailReports reads, of the mails ids, the Inbox mails with a parse result that
// are not part of a job yet, with their objects, the first received first.
func loadMailReports(ctx context.Context, tx bun.IDB, ids []int64) ([]mailReport, error) {
	var rows []db.MailMessage
	q := tx.NewSelect().Model(&rows).
		Column("id", "from_address", "subject", "received_at", "parsed_job_name", "parsed_backup_software",
			"parsed_backup_type", "parsed_status", "parsed_started_at", "parsed_ended_at", "parsed_host",
			"parsed_message", "parsed_report_key", "parsed_time_note").
		Where("id IN (?) AND job_id IS NULL AND location = 'inbox' AND parsed_status IS NOT NULL", bun.In(ids))
	if ps := accountReportParsers(); len(ps) > 0 {
		// Reports on many accounts are their source's (handOverAccountReports).
		q = q.Where("parser_name NOT IN (?)", bun.In(ps))
	}
	if err := q.Order("received_at", "id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("ingest: load parsed mails: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	out := make([]mailReport, len(rows))
	at := make(map[int64]int, len(rows))
	found := make([]int64, len(rows))
	for i, r := range rows {
		out[i].MailMessage = r
		at[r.ID] = i
		found[i] = r.ID
	}
	var objects []db.MailObject
	if err := tx.NewSelect().Model(&objects).Where("mail_message_id IN (?)", bun.In(found)).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("ingest: load mail objects: %w", err)
	}
	for _, o := range objects {
		m := &out[at[o.MailMessageID]]
		m.objects = append(m.objects, parsers.Object{Name: o.ObjectName, Type: o.ObjectType,
			Status: deref(o.Status), Error: deref(o.ErrorMessage)})
	}
	return out, nil
}

// report is the stored parse result of the mail as a Report.
func (m mailReport) report() Report {
	external := fmt.Sprintf("mail:%d", m.ID)
	if m.ParsedReportKey != nil {
		external = "report:" + *m.ParsedReportKey
	}
	return Report{Source: SourceEmail, ExternalID: external, ReceivedAt: m.ReceivedAt, From: deref(m.FromAddress),
		Subject: deref(m.Subject), MailID: m.ID,
		Run: parsers.ParsedRun{BackupSoftware: deref(m.ParsedBackupSoftware), BackupType: deref(m.ParsedBackupType),
			JobName: deref(m.ParsedJobName), Status: deref(m.ParsedStatus), StartedAt: m.ParsedStartedAt,
			EndedAt: m.ParsedEndedAt, Host: deref(m.ParsedHost), Message: deref(m.ParsedMessage),
			TimeNote: deref(m.ParsedTimeNote), Objects: m.objects}}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
