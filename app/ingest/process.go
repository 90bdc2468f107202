// Package ingest is the common processor every source ends in (DESIGN §1): a stored,
// parsed mail (or, later, an integration's ParsedRun) → find the job → create the
// JobRun idempotently → persist its objects → link open tickets and remarks → keep the
// job's summary current → notify live views. Everything is set-based SQL in the
// caller's transaction.
package ingest

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// ProcessedRun is a run created from a mail, or (Duplicate) a mail that was a copy of
// a report already a run of its job, linked to that run's job without a run of its own.
type ProcessedRun struct {
	RunID     int64 `bun:"run_id"`
	JobID     int64 `bun:"job_id"`
	MailID    int64 `bun:"mail_id"`
	Duplicate bool  `bun:"-"`
}

// matchedMails is the start of ProcessMails' statements: among the mails ? (ids), the
// Inbox mails with a parse result and the job each belongs to. A mail whose parser
// named its job is matched by the job's matching key (sender, software, type, job
// name); one without a job name (the generic parser's) by the job's match rule
// (sender and subject pattern; the longest pattern wins). Archived jobs take no new
// runs. external_id is the report's own identity when it has one, so that a copy of a
// report (a forwarded one) is the same run, else the mail's.
const matchedMails = `
	WITH candidates AS (
		SELECT id, from_address, subject, received_at, parsed_job_name, parsed_backup_software, parsed_backup_type,
		       parsed_status, parsed_started_at, parsed_ended_at, parsed_host, parsed_message, parsed_report_key,
		       parsed_time_note
		FROM mail_messages
		WHERE id IN (?) AND job_id IS NULL AND location = 'inbox' AND parsed_status IS NOT NULL
	), by_key AS (
		SELECT c.id AS mail_id, j.id AS job_id
		FROM candidates c
		JOIN jobs j ON j.from_address = c.from_address
		           AND j.backup_software = c.parsed_backup_software
		           AND j.backup_type = c.parsed_backup_type
		           AND j.job_name = c.parsed_job_name
		           AND j.archived_at IS NULL
		WHERE c.parsed_job_name <> ''
	), by_rule AS (
		SELECT DISTINCT ON (c.id) c.id AS mail_id, r.job_id
		FROM candidates c
		JOIN job_match_rules r ON r.from_address = c.from_address
		                      AND c.subject ILIKE subject_pattern_like(r.subject_pattern)
		JOIN jobs j ON j.id = r.job_id AND j.archived_at IS NULL
		WHERE coalesce(c.parsed_job_name, '') = ''
		ORDER BY c.id, length(r.subject_pattern) DESC, r.id
	), matched_mails AS (
		SELECT c.*, x.job_id,
		       CASE WHEN c.parsed_report_key IS NOT NULL THEN 'report:' || c.parsed_report_key
		            ELSE 'mail:' || c.id END AS external_id
		FROM (SELECT * FROM by_key UNION ALL SELECT * FROM by_rule) x
		JOIN candidates c ON c.id = x.mail_id
	)`

// ProcessMails turns those of the given mails that match a known job (see
// matchedMails) into runs of that job and moves them out of the Inbox. A run is never
// dated after its mail arrived. A mail that is a copy of a report already a run of the
// job becomes no second run: it is linked to the job and leaves the Inbox too, and is
// returned with Duplicate set. Mails without a parse result or of no known job are
// left as they are. Idempotent: a mail already linked to a job is not processed again.
func ProcessMails(ctx context.Context, tx bun.IDB, mailIDs []int64) ([]ProcessedRun, error) {
	if len(mailIDs) == 0 {
		return nil, nil
	}
	var runs []ProcessedRun
	// Of several copies of one report in the batch, the first received is the run.
	err := tx.NewRaw(matchedMails+`
		INSERT INTO job_runs (job_id, status, source_type, external_id, run_at, started_at, ended_at,
		                      mail_message_id, host, message, time_note)
		SELECT DISTINCT ON (job_id, external_id)
		       job_id, parsed_status, 'email', external_id, least(parsed_started_at, received_at),
		       parsed_started_at, parsed_ended_at, id, nullif(parsed_host, ''), nullif(parsed_message, ''),
		       parsed_time_note
		FROM matched_mails
		ORDER BY job_id, external_id, received_at, id
		ON CONFLICT (job_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
		RETURNING id AS run_id, job_id, mail_message_id AS mail_id`, bun.In(mailIDs)).Scan(ctx, &runs)
	if err != nil {
		return nil, fmt.Errorf("ingest: create runs: %w", err)
	}
	if len(runs) > 0 {
		if err := processRuns(ctx, tx, runs); err != nil {
			return nil, err
		}
	}
	// What is still unlinked but matched a job is a copy of a report already a run.
	var copies []ProcessedRun
	if err := tx.NewRaw(matchedMails+`
		UPDATE mail_messages m SET job_id = x.job_id, location = 'processed', updated_at = now()
		FROM matched_mails x JOIN job_runs r ON r.job_id = x.job_id AND r.external_id = x.external_id
		WHERE m.id = x.id
		RETURNING r.id AS run_id, r.job_id, m.id AS mail_id`, bun.In(mailIDs)).Scan(ctx, &copies); err != nil {
		return nil, fmt.Errorf("ingest: link copies of reports: %w", err)
	}
	for _, c := range copies {
		c.Duplicate = true
		runs = append(runs, c)
	}
	return runs, nil
}

// processRuns does what follows the creation of runs from mails: links the mails,
// stores the objects, then RunsCreated.
func processRuns(ctx context.Context, tx bun.IDB, runs []ProcessedRun) error {
	runIDs := make([]int64, len(runs))
	for i, r := range runs {
		runIDs[i] = r.RunID
	}
	steps := []struct {
		what  string
		query string
	}{
		{"link mails", `
			UPDATE mail_messages m SET job_id = r.job_id, location = 'processed', updated_at = now()
			FROM job_runs r WHERE r.id IN (?) AND m.id = r.mail_message_id`},
		// Objects: the customer's object list, the job's, and the run's results.
		{"store customer objects", `
			INSERT INTO customer_objects AS co (customer_id, object_name, object_type, first_seen_at, last_seen_at)
			SELECT j.customer_id, o.object_name, o.object_type, min(r.run_at), max(r.run_at)
			FROM job_runs r JOIN jobs j ON j.id = r.job_id JOIN mail_objects o ON o.mail_message_id = r.mail_message_id
			WHERE r.id IN (?)
			GROUP BY j.customer_id, o.object_name, o.object_type
			ON CONFLICT (customer_id, object_name, object_type)
			DO UPDATE SET last_seen_at = greatest(co.last_seen_at, excluded.last_seen_at)`},
		{"link job objects", `
			INSERT INTO job_object_links AS l (job_id, customer_object_id, first_seen_at, last_seen_at)
			SELECT r.job_id, co.id, min(r.run_at), max(r.run_at)
			FROM job_runs r JOIN jobs j ON j.id = r.job_id JOIN mail_objects o ON o.mail_message_id = r.mail_message_id
			JOIN customer_objects co ON co.customer_id = j.customer_id AND co.object_name = o.object_name AND co.object_type = o.object_type
			WHERE r.id IN (?)
			GROUP BY r.job_id, co.id
			ON CONFLICT (job_id, customer_object_id)
			DO UPDATE SET last_seen_at = greatest(l.last_seen_at, excluded.last_seen_at)`},
		// A mail listing one object twice keeps its worst result.
		{"store run objects", `
			INSERT INTO run_object_links (job_run_id, customer_object_id, status, error_message)
			SELECT DISTINCT ON (r.id, co.id) r.id, co.id, o.status, nullif(o.error_message, '')
			FROM job_runs r JOIN jobs j ON j.id = r.job_id JOIN mail_objects o ON o.mail_message_id = r.mail_message_id
			JOIN customer_objects co ON co.customer_id = j.customer_id AND co.object_name = o.object_name AND co.object_type = o.object_type
			WHERE r.id IN (?)
			ORDER BY r.id, co.id, status_severity(o.status) DESC NULLS LAST
			ON CONFLICT DO NOTHING`},
	}
	for _, s := range steps {
		if _, err := tx.ExecContext(ctx, s.query, bun.In(runIDs)); err != nil {
			return fmt.Errorf("ingest: %s: %w", s.what, err)
		}
	}
	return RunsCreated(ctx, tx, runIDs)
}
