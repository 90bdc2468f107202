package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/parsers"
)

// Sources of runs (job_runs.source_type). Missed runs ('missed') are the schedule's and
// do not come as reports.
const (
	SourceEmail        = "email"
	SourceCove         = "cove_api"
	SourceCloudConnect = "cloud_connect"
)

// A Report is a ParsedRun as a source hands it over: the run, its identity at the
// source, and what its job is known by there.
type Report struct {
	Source string // SourceEmail, SourceCove or SourceCloudConnect
	// ExternalID is the run's identity at the source (e.g. "mail:<id>", a Cove session):
	// the job's run for it is created once, however often it is reported.
	ExternalID string
	Run        parsers.ParsedRun
	// ReceivedAt is when the source got the report: a run is never dated after it. A
	// report without a start must have it.
	ReceivedAt time.Time

	// The job: JobID when the source links its reports to a job itself (a Cove account,
	// a Cloud Connect tenant); else the job whose matching key is From and the run's
	// backup software, type and job name; else, for a run without a job name, the job
	// whose match rule has From as its sender and a subject pattern Subject fits (the
	// longest pattern wins). Archived jobs take no runs.
	JobID   int64
	From    string
	Subject string

	MailID int64 // the mail it came in, if any (job_runs.mail_message_id)

	// Update: when the job has a run for ExternalID already, this report replaces that
	// run's result (status, times, host, message, mail, objects) instead of being a
	// copy — for a source whose report of one day can change (a Cloud Connect report
	// imported again). A reviewed run keeps the result it was reviewed with. Mail
	// leaves it false: a forwarded copy is the same report, not a newer one.
	Update bool
	// Backfilled: the run is reconstructed from the source's history (Cove's 28-day
	// colour bar), not reported as it happened. It arrives reviewed (history, not work
	// to check) and is marked as backfilled (job_runs.backfilled).
	Backfilled bool
}

// ReportOutcome is what became of one report.
type ReportOutcome struct {
	// JobID is the job the report belongs to; 0 when no active job is known for it,
	// and the source keeps it staged for an admin (a mail stays in the Inbox, a Cove
	// account or Cloud Connect tenant stays unlinked).
	JobID int64
	RunID int64 // the run created, or the job's run it is a copy of
	// Copy: the job already had a run for the report's ExternalID (an earlier report,
	// or one before it in the same call); no run was created.
	Copy bool
	// Updated: the job had the run already and the report replaced its result
	// (Report.Update); RunID is that run.
	Updated bool
}

// CreateRuns turns reports into runs of their jobs: it finds each report's job (see
// Report), creates the job's run for it unless the job has one for its ExternalID
// already (idempotent: unique per job), stores the run's objects (the customer's
// object list, the job's, and each object's result in the run, dated by its
// ObservedAt or else the run's time), then RunsCreated. Of reports of one job with the
// same ExternalID, the first in reports becomes the run. A report with Update set
// replaces the result of its job's existing, unreviewed run (updateRuns), then
// RunsUpdated. Returns one outcome per report, in order. Set-based, in the caller's
// transaction.
func CreateRuns(ctx context.Context, tx bun.IDB, reports []Report) ([]ReportOutcome, error) {
	out := make([]ReportOutcome, len(reports))
	if len(reports) == 0 {
		return out, nil
	}
	rows := make([]reportRow, len(reports))
	for i, r := range reports {
		row, err := newReportRow(i, r)
		if err != nil {
			return nil, err
		}
		rows[i] = row
	}
	input, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("ingest: encode reports: %w", err)
	}
	var matched []struct {
		Ord        int    `bun:"ord"`
		JobID      int64  `bun:"job_id"`
		ExternalID string `bun:"external_id"`
		RunID      *int64 `bun:"run_id"`
	}
	if err := tx.NewRaw(createRuns, string(input)).Scan(ctx, &matched); err != nil {
		return nil, fmt.Errorf("ingest: create runs: %w", err)
	}

	var created []int64
	var objects []objectRow
	var copies []int
	taken := map[int64]bool{}
	for _, m := range matched {
		o := &out[m.Ord]
		o.JobID = m.JobID
		switch {
		case m.RunID == nil:
			copies = append(copies, m.Ord)
		case taken[*m.RunID]:
			o.RunID, o.Copy = *m.RunID, true
		default:
			taken[*m.RunID] = true
			o.RunID = *m.RunID
			created = append(created, *m.RunID)
			for _, obj := range reports[m.Ord].Run.Objects {
				objects = append(objects, newObjectRow(*m.RunID, obj))
			}
		}
	}
	if err := findCopies(ctx, tx, rows, copies, out); err != nil {
		return nil, err
	}
	updated, err := updateRuns(ctx, tx, rows, reports, copies, out)
	if err != nil {
		return nil, err
	}
	for _, ord := range copies {
		if out[ord].Updated {
			for _, obj := range reports[ord].Run.Objects {
				objects = append(objects, newObjectRow(out[ord].RunID, obj))
			}
		}
	}
	if err := storeObjects(ctx, tx, objects); err != nil {
		return nil, err
	}
	if err := RunsCreated(ctx, tx, created); err != nil {
		return nil, err
	}
	if err := RunsUpdated(ctx, tx, updated); err != nil {
		return nil, err
	}
	return out, nil
}

// createRuns matches the reports (a JSON array of reportRow) to their jobs and inserts
// the runs; it returns each matched report with the run created for its job and
// external id, or none where the job had that run already.
const createRuns = `
	WITH input AS (
		SELECT * FROM jsonb_to_recordset(?::jsonb) AS x(
			ord int, source text, external_id text, job_id bigint, from_address text, subject text,
			backup_software text, backup_type text, job_name text, status text, started_at timestamptz,
			ended_at timestamptz, received_at timestamptz, host text, message text, time_note text, mail_id bigint,
			backfilled boolean)
	), by_id AS (
		SELECT i.ord, j.id AS job_id
		FROM input i JOIN jobs j ON j.id = i.job_id AND j.archived_at IS NULL
	), by_key AS (
		SELECT i.ord, j.id AS job_id
		FROM input i
		JOIN jobs j ON j.from_address = i.from_address
		           AND j.backup_software = i.backup_software
		           AND j.backup_type = i.backup_type
		           AND j.job_name = i.job_name
		           AND j.archived_at IS NULL
		WHERE i.job_id IS NULL AND i.job_name <> ''
	), by_rule AS (
		SELECT DISTINCT ON (i.ord) i.ord, r.job_id
		FROM input i
		JOIN job_match_rules r ON r.from_address = i.from_address
		                      AND i.subject ILIKE subject_pattern_like(r.subject_pattern)
		JOIN jobs j ON j.id = r.job_id AND j.archived_at IS NULL
		WHERE i.job_id IS NULL AND coalesce(i.job_name, '') = ''
		ORDER BY i.ord, length(r.subject_pattern) DESC, r.id
	), matched AS (
		SELECT i.*, x.job_id AS matched_job_id
		FROM (SELECT * FROM by_id UNION ALL SELECT * FROM by_key UNION ALL SELECT * FROM by_rule) x
		JOIN input i ON i.ord = x.ord
	), created AS (
		INSERT INTO job_runs (job_id, status, source_type, external_id, run_at, started_at, ended_at,
		                      mail_message_id, host, message, time_note, backfilled, reviewed_at)
		SELECT DISTINCT ON (matched_job_id, external_id)
		       matched_job_id, status, source, external_id, least(started_at, received_at),
		       started_at, ended_at, mail_id, nullif(host, ''), nullif(message, ''), nullif(time_note, ''),
		       coalesce(backfilled, false), CASE WHEN backfilled THEN now() END
		FROM matched
		ORDER BY matched_job_id, external_id, ord
		ON CONFLICT (job_id, external_id) WHERE external_id IS NOT NULL DO NOTHING
		RETURNING id, job_id, external_id
	)
	SELECT m.ord, m.matched_job_id AS job_id, m.external_id, c.id AS run_id
	FROM matched m LEFT JOIN created c ON c.job_id = m.matched_job_id AND c.external_id = m.external_id
	ORDER BY m.ord`

// findCopies sets the runs of the reports at ords (matched, but their job had a run for
// their external id already). One whose run cannot be found (deleted meanwhile) is
// left unmatched, as if no job were known.
func findCopies(ctx context.Context, tx bun.IDB, rows []reportRow, ords []int, out []ReportOutcome) error {
	if len(ords) == 0 {
		return nil
	}
	type key struct {
		JobID      int64  `json:"job_id" bun:"job_id"`
		ExternalID string `json:"external_id" bun:"external_id"`
	}
	keys := make([]key, len(ords))
	for i, ord := range ords {
		keys[i] = key{out[ord].JobID, rows[ord].ExternalID}
	}
	b, err := json.Marshal(keys)
	if err != nil {
		return fmt.Errorf("ingest: encode copies: %w", err)
	}
	var found []struct {
		key
		ID int64 `bun:"id"`
	}
	if err := tx.NewRaw(`
		SELECT r.id, r.job_id, r.external_id
		FROM jsonb_to_recordset(?::jsonb) AS k(job_id bigint, external_id text)
		JOIN job_runs r ON r.job_id = k.job_id AND r.external_id = k.external_id`, string(b)).Scan(ctx, &found); err != nil {
		return fmt.Errorf("ingest: find the runs of copies: %w", err)
	}
	runOf := make(map[key]int64, len(found))
	for _, f := range found {
		runOf[f.key] = f.ID
	}
	for _, ord := range ords {
		if id, ok := runOf[key{out[ord].JobID, rows[ord].ExternalID}]; ok {
			out[ord].RunID, out[ord].Copy = id, true
		} else {
			out[ord] = ReportOutcome{}
		}
	}
	return nil
}

// storeObjects stores the objects of new runs (a JSON array of objectRow): the
// customer's object list, the job's, and the objects' results in the runs.
func storeObjects(ctx context.Context, tx bun.IDB, objects []objectRow) error {
	if len(objects) == 0 {
		return nil
	}
	b, err := json.Marshal(objects)
	if err != nil {
		return fmt.Errorf("ingest: encode objects: %w", err)
	}
	// The objects with their run's job and customer, joined first and materialised: the
	// planner cannot estimate jsonb_to_recordset, and left to itself it joined the
	// customers' objects by name before the runs (every customer with the same object
	// names, times every job of theirs: seconds for a thousand objects).
	const objs = `WITH o AS MATERIALIZED (
			SELECT x.*, r.job_id, j.customer_id, coalesce(x.observed_at, r.run_at) AS seen_at
			FROM jsonb_to_recordset(?::jsonb) AS x(run_id bigint, object_name text, object_type text,
				status text, error_message text, observed_at timestamptz)
			JOIN job_runs r ON r.id = x.run_id JOIN jobs j ON j.id = r.job_id)`
	const withCustomerObject = ` FROM o JOIN customer_objects co
			ON co.customer_id = o.customer_id AND co.object_name = o.object_name AND co.object_type = o.object_type`
	steps := []struct {
		what  string
		query string
	}{
		{"store customer objects", objs + `
			INSERT INTO customer_objects AS co (customer_id, object_name, object_type, first_seen_at, last_seen_at)
			SELECT o.customer_id, o.object_name, o.object_type, min(o.seen_at), max(o.seen_at)
			FROM o
			GROUP BY o.customer_id, o.object_name, o.object_type
			ON CONFLICT (customer_id, object_name, object_type)
			DO UPDATE SET last_seen_at = greatest(co.last_seen_at, excluded.last_seen_at)`},
		{"link job objects", objs + `
			INSERT INTO job_object_links AS l (job_id, customer_object_id, first_seen_at, last_seen_at)
			SELECT o.job_id, co.id, min(o.seen_at), max(o.seen_at)` + withCustomerObject + `
			GROUP BY o.job_id, co.id
			ON CONFLICT (job_id, customer_object_id)
			DO UPDATE SET last_seen_at = greatest(l.last_seen_at, excluded.last_seen_at)`},
		// A run listing one object twice keeps its worst result.
		{"store run objects", objs + `
			INSERT INTO run_object_links (job_run_id, customer_object_id, status, error_message)
			SELECT DISTINCT ON (o.run_id, co.id) o.run_id, co.id, o.status, nullif(o.error_message, '')` + withCustomerObject + `
			ORDER BY o.run_id, co.id, status_severity(o.status) DESC NULLS LAST
			ON CONFLICT DO NOTHING`},
	}
	for _, s := range steps {
		if _, err := tx.ExecContext(ctx, s.query, string(b)); err != nil {
			return fmt.Errorf("ingest: %s: %w", s.what, err)
		}
	}
	return nil
}

// reportRow is a Report as createRuns reads it: made safe for text columns, empty
// strings of a mail's NULL columns left out (so NULL, as they are in the mail).
type reportRow struct {
	Ord            int        `json:"ord"`
	Source         string     `json:"source"`
	ExternalID     string     `json:"external_id"`
	JobID          int64      `json:"job_id,omitempty"`
	From           string     `json:"from_address,omitempty"`
	Subject        string     `json:"subject,omitempty"`
	BackupSoftware string     `json:"backup_software,omitempty"`
	BackupType     string     `json:"backup_type,omitempty"`
	JobName        string     `json:"job_name,omitempty"`
	Status         string     `json:"status"`
	StartedAt      *time.Time `json:"started_at,omitempty"`
	EndedAt        *time.Time `json:"ended_at,omitempty"`
	ReceivedAt     *time.Time `json:"received_at,omitempty"`
	Host           string     `json:"host,omitempty"`
	Message        string     `json:"message,omitempty"`
	TimeNote       string     `json:"time_note,omitempty"`
	MailID         int64      `json:"mail_id,omitempty"`
	Backfilled     bool       `json:"backfilled,omitempty"`
}

func newReportRow(ord int, r Report) (reportRow, error) {
	row := reportRow{Ord: ord, Source: r.Source, ExternalID: clean(r.ExternalID, 1000), JobID: r.JobID,
		From: strings.ToLower(clean(r.From, 500)), Subject: clean(r.Subject, 2000),
		BackupSoftware: clean(r.Run.BackupSoftware, 200), BackupType: clean(r.Run.BackupType, 200),
		JobName: clean(r.Run.JobName, 500), Status: r.Run.Status, StartedAt: r.Run.StartedAt, EndedAt: r.Run.EndedAt,
		Host: clean(r.Run.Host, 500), Message: clean(r.Run.Message, 4000), TimeNote: clean(r.Run.TimeNote, 2000),
		MailID: r.MailID, Backfilled: r.Backfilled}
	if !r.ReceivedAt.IsZero() {
		row.ReceivedAt = &r.ReceivedAt
	}
	switch {
	case r.Source != SourceEmail && r.Source != SourceCove && r.Source != SourceCloudConnect:
		return row, fmt.Errorf("ingest: report %q: unknown source %q", r.ExternalID, r.Source)
	case row.ExternalID == "":
		return row, fmt.Errorf("ingest: a report of %s without an external id", r.Source)
	case statusPtr(r.Run.Status) == nil:
		return row, fmt.Errorf("ingest: report %q of %s: unknown status %q", r.ExternalID, r.Source, r.Run.Status)
	case row.StartedAt == nil && row.ReceivedAt == nil:
		return row, fmt.Errorf("ingest: report %q of %s: neither a start nor a receipt time", r.ExternalID, r.Source)
	}
	return row, nil
}

// objectRow is an object of a new run as storeObjects reads it.
type objectRow struct {
	RunID        int64      `json:"run_id"`
	Name         string     `json:"object_name"`
	Type         string     `json:"object_type"`
	Status       *string    `json:"status,omitempty"`
	ErrorMessage string     `json:"error_message,omitempty"`
	ObservedAt   *time.Time `json:"observed_at,omitempty"`
}

func newObjectRow(runID int64, o parsers.Object) objectRow {
	return objectRow{RunID: runID, Name: clean(o.Name, 500), Type: clean(o.Type, 100), Status: statusPtr(o.Status),
		ErrorMessage: clean(o.Error, 4000), ObservedAt: o.ObservedAt}
}
