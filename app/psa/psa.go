// Package psa raises Autotask tickets from runs: one open Autotask ticket per job,
// reused by later runs, mirrored by an internal ticket that follows the job's runs.
package psa

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/autotask"
	"github.com/backupchecks/backupchecks/app/customers"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/tickets"
)

// ActionTicketCreated and ActionTicketReused are audited for every ticket raised.
const (
	ActionTicketCreated = "autotask.ticket_created"
	ActionTicketReused  = "autotask.ticket_reused"
)

// Defaults are the ticket fields from Settings → Integrations → Autotask.
type Defaults struct {
	QueueID, SourceID, PriorityID, StatusID *int64
	BaseURL                                 string // Backupchecks' address, for the link back
}

// BlockedError is a reason an operator can act on why no ticket can be raised.
type BlockedError struct{ Reason string }

func (e *BlockedError) Error() string { return "cannot raise an Autotask ticket: " + e.Reason }

// Result is the ticket a run now carries.
type Result struct {
	TicketID     int64
	TicketNumber string
	Reused       bool // an open ticket of the job was reused instead of raising another
}

type runContext struct {
	RunID         int64      `bun:"run_id"`
	Status        string     `bun:"status"`
	Overridden    *string    `bun:"overridden_status"`
	RunAt         time.Time  `bun:"run_at"`
	Message       *string    `bun:"message"`
	TicketID      *int64     `bun:"autotask_ticket_id"`
	TicketNumber  *string    `bun:"autotask_ticket_number"`
	TicketDeleted *time.Time `bun:"autotask_ticket_deleted_at"`
	JobID         int64      `bun:"job_id"`
	JobName       string     `bun:"job_name"`
	Software      string     `bun:"backup_software"`
	Type          string     `bun:"backup_type"`
	CustomerID    int64      `bun:"customer_id"`
	CustomerName  string     `bun:"customer_name"`
	CompanyID     *int64     `bun:"autotask_company_id"`
	MappingStatus *string    `bun:"autotask_mapping_status"`
}

// CreateTicketForRun gives a run an Autotask ticket: the one it already has, the job's
// open one (duplicate prevention), or a new one raised with the settings' defaults.
func CreateTicketForRun(ctx context.Context, bdb *bun.DB, client *autotask.Client, actor audit.Actor, d Defaults, runID int64, now time.Time) (Result, error) {
	var rc runContext
	err := bdb.NewRaw(`SELECT r.id AS run_id, r.status, r.overridden_status, r.run_at, r.message,
			r.autotask_ticket_id, r.autotask_ticket_number, r.autotask_ticket_deleted_at,
			j.id AS job_id, j.job_name, j.backup_software, j.backup_type,
			c.id AS customer_id, c.name AS customer_name, c.autotask_company_id, c.autotask_mapping_status
		FROM job_runs r JOIN jobs j ON j.id = r.job_id JOIN customers c ON c.id = j.customer_id
		WHERE r.id = ?`, runID).Scan(ctx, &rc)
	if errors.Is(err, sql.ErrNoRows) {
		return Result{}, &BlockedError{Reason: "the run does not exist (any more)"}
	}
	if err != nil {
		return Result{}, fmt.Errorf("psa: load run %d: %w", runID, err)
	}
	if rc.TicketID != nil && rc.TicketDeleted == nil {
		return Result{TicketID: *rc.TicketID, TicketNumber: deref(rc.TicketNumber), Reused: true}, nil
	}
	if reason := customers.MappingBlocksTickets(rc.CompanyID, deref(rc.MappingStatus)); reason != "" {
		return Result{}, &BlockedError{Reason: reason}
	}
	// One raise per job at a time, across replicas: a second request for the job (two
	// operators, two runs) waits here and then finds the first one's ticket to reuse.
	unlock, err := lockJob(ctx, bdb, rc.JobID)
	if err != nil {
		return Result{}, err
	}
	defer unlock()

	// The job's most recent Autotask ticket that still exists and whose internal
	// ticket is open: this run joins it.
	var open struct {
		TicketID     int64  `bun:"autotask_ticket_id"`
		TicketNumber string `bun:"autotask_ticket_number"`
		InternalID   int64  `bun:"internal_id"`
	}
	err = bdb.NewRaw(`SELECT r.autotask_ticket_id, r.autotask_ticket_number, t.id AS internal_id
		FROM job_runs r JOIN tickets t ON t.autotask_ticket_id = r.autotask_ticket_id
		WHERE r.job_id = ? AND r.autotask_ticket_id IS NOT NULL AND r.autotask_ticket_deleted_at IS NULL
		  AND t.resolved_at IS NULL
		ORDER BY r.run_at DESC LIMIT 1`, rc.JobID).Scan(ctx, &open)
	switch {
	case err == nil:
		if err := attach(ctx, bdb, actor, runID, open.TicketID, open.TicketNumber, open.InternalID, now, ActionTicketReused); err != nil {
			return Result{}, err
		}
		return Result{TicketID: open.TicketID, TicketNumber: open.TicketNumber, Reused: true}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return Result{}, fmt.Errorf("psa: find the job's open ticket: %w", err)
	}

	if d.QueueID == nil || d.PriorityID == nil || d.StatusID == nil {
		return Result{}, &BlockedError{Reason: "choose the ticket queue, priority and status under Settings → Integrations → Autotask"}
	}
	var objects []struct {
		Name  string  `bun:"object_name"`
		State *string `bun:"status"`
		Error *string `bun:"error_message"`
	}
	if err := bdb.NewRaw(`SELECT o.object_name, l.status, l.error_message
		FROM run_object_links l JOIN customer_objects o ON o.id = l.customer_object_id
		WHERE l.job_run_id = ? AND l.status IN ('Failed', 'Warning')
		ORDER BY l.status, o.object_name LIMIT 50`, runID).Scan(ctx, &objects); err != nil {
		return Result{}, fmt.Errorf("psa: objects of run %d: %w", runID, err)
	}
	status := rc.Status
	if rc.Overridden != nil {
		status = *rc.Overridden
	}
	title := fmt.Sprintf("Backup %s: %s - %s", strings.ToLower(status), rc.CustomerName, rc.JobName)
	var desc strings.Builder
	fmt.Fprintf(&desc, "Backupchecks: the backup job %q of %s (%s %s) ended %s at %s UTC.\n",
		rc.JobName, rc.CustomerName, rc.Software, rc.Type, status, rc.RunAt.UTC().Format("2006-01-02 15:04"))
	if m := strings.TrimSpace(deref(rc.Message)); m != "" {
		fmt.Fprintf(&desc, "\nMessage: %s\n", m)
	}
	if len(objects) > 0 {
		desc.WriteString("\nObjects in error:\n")
		for _, o := range objects {
			fmt.Fprintf(&desc, "- %s: %s", o.Name, deref(o.State))
			if e := strings.TrimSpace(deref(o.Error)); e != "" {
				fmt.Fprintf(&desc, " (%s)", e)
			}
			desc.WriteString("\n")
		}
	}
	if d.BaseURL != "" {
		fmt.Fprintf(&desc, "\nThe job and its runs in Backupchecks: %s/jobs/%d\n", d.BaseURL, rc.JobID)
	}
	in := autotask.TicketInput{CompanyID: *rc.CompanyID, Title: truncate(title, 255), Description: truncate(desc.String(), 8000),
		QueueID: *d.QueueID, Priority: *d.PriorityID, Status: *d.StatusID}
	if d.SourceID != nil {
		in.Source = *d.SourceID
	}
	atID, number, err := autotask.CreateTicket(ctx, client, in)
	if err != nil {
		return Result{}, fmt.Errorf("psa: raise ticket for run %d: %w", runID, err)
	}
	if number == "" {
		number = fmt.Sprintf("AT%d", atID) // the read-back failed; the id still identifies it
	}
	// The internal ticket mirrors it: scoped to the job, so new runs link to it until resolved.
	internalID, _, err := tickets.Create(ctx, bdb, actor, tickets.Input{Kind: tickets.KindTicket, Code: number,
		Text: title, JobID: rc.JobID, RunID: runID}, now)
	if err == nil {
		err = attach(ctx, bdb, actor, runID, atID, number, internalID, now, ActionTicketCreated)
	}
	if err != nil {
		// The ticket exists in Autotask but not here: say which, so that it can be
		// entered by hand (Tickets → new, with its number) instead of raised again.
		slog.ErrorContext(ctx, "psa: Autotask ticket raised but not stored", "autotask_ticket_id", atID,
			"ticket_number", number, "run_id", runID, "job_id", rc.JobID, "error", err)
		return Result{}, fmt.Errorf("psa: Autotask ticket %s was raised but could not be stored here (enter it under Tickets by hand): %w", number, err)
	}
	return Result{TicketID: atID, TicketNumber: number}, nil
}

// lockJob holds a transaction-scoped advisory lock on raising tickets for job until
// unlock. The transaction does nothing else: the work goes through other connections,
// so what the lock holder commits is visible to the next holder.
func lockJob(ctx context.Context, bdb *bun.DB, jobID int64) (unlock func(), err error) {
	tx, err := bdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("psa: lock job %d: %w", jobID, err)
	}
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended('autotask-ticket:' || ?::text, 0))", jobID); err != nil {
		_ = tx.Rollback()
		return nil, fmt.Errorf("psa: lock job %d: %w", jobID, err)
	}
	return func() { _ = tx.Rollback() }, nil
}

// attach stores the Autotask ticket on the run, marks the internal ticket as its
// mirror and links it to the run.
func attach(ctx context.Context, bdb *bun.DB, actor audit.Actor, runID, atID int64, number string, internalID int64, now time.Time, action string) error {
	var by any
	if actor.ID != 0 {
		by = actor.ID
	}
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE job_runs SET autotask_ticket_id = ?, autotask_ticket_number = ?,
				autotask_ticket_created_at = ?, autotask_ticket_created_by = ?, autotask_ticket_deleted_at = NULL WHERE id = ?`,
			atID, number, now, by, runID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tickets SET autotask_ticket_id = ? WHERE id = ?`, atID, internalID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ticket_job_runs (ticket_id, job_run_id, created_by) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, internalID, runID, by); err != nil {
			return err
		}
		if err := live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, action, fmt.Sprintf("run:%d", runID), map[string]any{
			"autotask_ticket_id": atID, "ticket_number": number, "ticket_id": internalID})
	})
	if err != nil {
		return fmt.Errorf("psa: attach Autotask ticket %s to run %d: %w", number, runID, err)
	}
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
