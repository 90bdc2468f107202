package review

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/db"
)

// RunDetail is one run with what the run dialog shows.
type RunDetail struct {
	ID           int64      `bun:"id"`
	JobID        int64      `bun:"job_id"`
	JobName      string     `bun:"job_name"`
	CustomerID   int64      `bun:"customer_id"`
	CustomerName string     `bun:"customer_name"`
	Software     string     `bun:"backup_software"`
	Type         string     `bun:"backup_type"`
	Status       string     `bun:"status"`
	Overridden   string     `bun:"overridden_status"`
	Source       string     `bun:"source"`
	RunAt        time.Time  `bun:"run_at"`
	StartedAt    *time.Time `bun:"started_at"`
	EndedAt      *time.Time `bun:"ended_at"`
	Host         string     `bun:"host"`
	Message      string     `bun:"message"`
	MailID       *int64     `bun:"mail_message_id"`
	Parser       string     `bun:"parser_name"`
	MailHTML     string     `bun:"html_body"`
	MailText     string     `bun:"text_body"`
	ReviewedAt   *time.Time `bun:"reviewed_at"`
	ReviewedBy   string     `bun:"reviewed_by"`
	// ManualSuccess: marked as success by hand ("Mark as Success"), not by a rule;
	// MarkedBy and MarkedAt say who and when.
	ManualSuccess bool       `bun:"manual_success"`
	MarkedBy      string     `bun:"marked_by"`
	MarkedAt      *time.Time `bun:"overridden_at"`
	// The run's Autotask ticket number; "" when none or deleted in Autotask.
	AutotaskTicket string `bun:"autotask_ticket"`
	// Why the run's time is not simply its report's (ingest: a relay's Date offset, a
	// report later than its mail); "" when it is.
	TimeNote string `bun:"time_note"`

	Objects []RunObject `bun:"-"`
	Events  []Event     `bun:"-"`
}

// RunObject is an object's result in the run.
type RunObject struct {
	Name   string `bun:"object_name"`
	Type   string `bun:"object_type"`
	Status string `bun:"status"`
	Error  string `bun:"error_message"`
}

// runStateColumns are the run's columns that change while its dialog is open (its
// review, a by-hand success, its Autotask ticket), from job_runs r with its reviewer u
// and marker mu.
const runStateColumns = `r.id, r.job_id, r.status, coalesce(r.overridden_status, '') AS overridden_status,
	r.reviewed_at, coalesce(u.display_name, u.username, '') AS reviewed_by,
	(r.overridden_status IS NOT NULL AND r.override_id IS NULL) AS manual_success,
	coalesce(mu.display_name, mu.username, '') AS marked_by, r.overridden_at,
	CASE WHEN r.autotask_ticket_deleted_at IS NULL THEN coalesce(r.autotask_ticket_number, '') ELSE '' END AS autotask_ticket`

// GetRun loads a run for its dialog: the run, its job, its mail's bodies, its objects
// and its review history.
func GetRun(ctx context.Context, idb bun.IDB, id int64) (*RunDetail, error) {
	d := new(RunDetail)
	err := idb.NewRaw(`
		SELECT `+runStateColumns+`, j.job_name, c.id AS customer_id, c.name AS customer_name, j.backup_software, j.backup_type,
		       coalesce(r.source_type, 'email') AS source,
		       r.run_at, r.started_at, r.ended_at, coalesce(r.host, '') AS host, coalesce(r.message, '') AS message,
		       r.mail_message_id, coalesce(m.parser_name, '') AS parser_name,
		       coalesce(m.html_body, '') AS html_body, coalesce(m.text_body, '') AS text_body,
		       coalesce(r.time_note, '') AS time_note
		FROM job_runs r
		JOIN jobs j ON j.id = r.job_id JOIN customers c ON c.id = j.customer_id
		LEFT JOIN mail_messages m ON m.id = r.mail_message_id
		LEFT JOIN users u ON u.id = r.reviewed_by
		LEFT JOIN users mu ON mu.id = r.overridden_by
		WHERE r.id = ?`, id).Scan(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("review: run %d: %w", id, db.NotFound(err))
	}
	if err := idb.NewRaw(`
		SELECT co.object_name, co.object_type, coalesce(l.status, '') AS status, coalesce(l.error_message, '') AS error_message
		FROM run_object_links l JOIN customer_objects co ON co.id = l.customer_object_id
		WHERE l.job_run_id = ? ORDER BY status_severity(l.status) DESC NULLS LAST, lower(co.object_name)`, id).Scan(ctx, &d.Objects); err != nil {
		return nil, fmt.Errorf("review: objects of run %d: %w", id, err)
	}
	if err := idb.NewRaw(`
		SELECT job_run_id, action, actor_name, created_at FROM job_run_review_events
		WHERE job_run_id = ? ORDER BY created_at DESC, id DESC`, id).Scan(ctx, &d.Events); err != nil {
		return nil, fmt.Errorf("review: history of run %d: %w", id, err)
	}
	return d, nil
}

// GetRunState loads only what changes on a run while its dialog is open (its review,
// a by-hand success, its Autotask ticket), for refreshing the dialog's actions; the other fields of the
// result stay empty.
func GetRunState(ctx context.Context, idb bun.IDB, id int64) (*RunDetail, error) {
	d := new(RunDetail)
	err := idb.NewRaw(`
		SELECT `+runStateColumns+`
		FROM job_runs r
		LEFT JOIN users u ON u.id = r.reviewed_by
		LEFT JOIN users mu ON mu.id = r.overridden_by
		WHERE r.id = ?`, id).Scan(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("review: state of run %d: %w", id, db.NotFound(err))
	}
	return d, nil
}
