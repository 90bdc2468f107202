package tickets

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/search/terms"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Kinds: tickets carry a code, remarks a body; both follow their scopes onto new runs.
const (
	KindTicket = "ticket"
	KindRemark = "remark"
)

// Input is a new ticket or remark.
type Input struct {
	Kind       string
	Code       string // tickets: empty generates T<YYYYMMDD>.<NNNN>
	Text       string // ticket description or remark body
	ActiveFrom string // YYYY-MM-DD, optional
	StartDate  string // YYYY-MM-DD, optional
	JobID      int64  // scope: the job (optional when CustomerID is set)
	CustomerID int64  // scope: the whole customer (optional)
	ObjectID   int64  // scope: one object (customer_objects.id) in whichever job backs it up; wins over the others
	RunID      int64  // the run it was raised from: linked directly
}

// Item is a ticket or remark as listed.
type Item struct {
	ID         int64      `bun:"id"`
	Kind       string     `bun:"kind"`
	Code       string     `bun:"code"`
	Text       string     `bun:"text"`
	ResolvedAt *time.Time `bun:"resolved_at"`
	// AutotaskDeletedAt: resolved because its Autotask ticket was deleted there.
	AutotaskDeletedAt *time.Time `bun:"autotask_deleted_at"`
	CreatedAt         time.Time  `bun:"created_at"`
	Scopes            string     `bun:"scopes"` // "Customer / Job, …"
	Runs              int        `bun:"runs"`
}

type table struct{ items, scopes, links, key, text string }

func tableFor(kind string) (table, error) {
	switch kind {
	case KindTicket:
		return table{"tickets", "ticket_scopes", "ticket_job_runs", "ticket_id", "description"}, nil
	case KindRemark:
		return table{"remarks", "remark_scopes", "remark_job_runs", "remark_id", "body"}, nil
	}
	return table{}, fmt.Errorf("tickets: unknown kind %q", kind)
}

// Create adds a ticket or remark with its scope, links it to the run it was raised
// from, and to the scope's runs not yet reviewed (so it shows at once where it matters).
func Create(ctx context.Context, bdb *bun.DB, actor audit.Actor, in Input, now time.Time) (int64, string, error) {
	t, err := tableFor(in.Kind)
	if err != nil {
		return 0, "", err
	}
	errs := validation.Errors{}
	in.Text, in.Code = strings.TrimSpace(in.Text), strings.TrimSpace(in.Code)
	if in.Kind == KindRemark && in.Text == "" {
		errs.Add("text", "write the remark")
	}
	if len(in.Code) > 100 {
		errs.Add("code", "use at most 100 characters")
	}
	if in.JobID == 0 && in.CustomerID == 0 && in.ObjectID == 0 {
		errs.Add("scope", "choose the job or customer it is about")
	}
	dates := parseDates(errs, in.ActiveFrom, in.StartDate)
	if err := errs.Err(); err != nil {
		return 0, "", err
	}
	var by any
	if actor.ID != 0 {
		by = actor.ID
	}
	var id int64
	code := in.Code
	err = bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if in.Kind == KindTicket {
			if code == "" {
				// T<YYYYMMDD>.<NNNN>: the day's next number; the lock keeps two at once apart.
				day := now.Format("20060102")
				if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('ticket-code-' || ?))", day); err != nil {
					return err
				}
				var n int
				if err := tx.NewRaw("SELECT count(*) FROM tickets WHERE ticket_code LIKE ?", "T"+day+".%").Scan(ctx, &n); err != nil {
					return err
				}
				code = fmt.Sprintf("T%s.%04d", day, n+1)
			}
			err := tx.NewRaw(`INSERT INTO tickets (ticket_code, description, active_from_date, start_date, created_by)
				VALUES (?, ?, ?, ?, ?) RETURNING id`, code, in.Text, dates["active_from"], dates["start_date"], by).Scan(ctx, &id)
			if err != nil && strings.Contains(err.Error(), "tickets_ticket_code_key") {
				return validation.Errors{"code": fmt.Sprintf("ticket %s exists already", code)}
			}
			if err != nil {
				return err
			}
		} else if err := tx.NewRaw(`INSERT INTO remarks (body, active_from_date, start_date, created_by)
			VALUES (?, ?, ?, ?) RETURNING id`, in.Text, dates["active_from"], dates["start_date"], by).Scan(ctx, &id); err != nil {
			return err
		}
		scopeType, scopeCol, scopeID := "job", "job_id", in.JobID
		switch {
		case in.ObjectID != 0:
			scopeType, scopeCol, scopeID = "object", "customer_object_id", in.ObjectID
		case in.JobID == 0:
			scopeType, scopeCol, scopeID = "customer", "customer_id", in.CustomerID
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s (%s, scope_type, %s) VALUES (?, ?, ?)`, t.scopes, t.key, scopeCol),
			id, scopeType, scopeID); err != nil {
			return fmt.Errorf("scope: %w", err)
		}
		// The run it came from, and the scope's unreviewed runs.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`
			INSERT INTO %[1]s (%[2]s, job_run_id, created_by)
			SELECT ?, r.id, ? FROM job_runs r JOIN jobs j ON j.id = r.job_id
			WHERE r.id = ? OR (r.reviewed_at IS NULL AND r.superseded_at IS NULL AND (
			      CASE WHEN ? <> 0 THEN EXISTS (SELECT 1 FROM run_object_links l WHERE l.job_run_id = r.id AND l.customer_object_id = ?)
			           ELSE j.id = ? OR (? = 0 AND j.customer_id = ?) END))
			ON CONFLICT DO NOTHING`, t.links, t.key), id, by, in.RunID, in.ObjectID, in.ObjectID, in.JobID, in.JobID, in.CustomerID); err != nil {
			return fmt.Errorf("link runs: %w", err)
		}
		if err := live.Notify(ctx, tx, live.Event{Topic: live.TopicRuns}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, in.Kind+".created", fmt.Sprintf("%s:%d", in.Kind, id), map[string]any{"code": code, "job_id": in.JobID, "customer_id": in.CustomerID, "object_id": in.ObjectID})
	})
	if err != nil {
		return 0, "", fmt.Errorf("tickets: create %s: %w", in.Kind, err)
	}
	return id, code, nil
}

// parseDates reads the optional active-from and start dates (YYYY-MM-DD) into
// "active_from" and "start_date": nil when empty, errors beside the fields.
func parseDates(errs validation.Errors, activeFrom, startDate string) map[string]any {
	dates := map[string]any{}
	for field, v := range map[string]string{"active_from": activeFrom, "start_date": startDate} {
		if v = strings.TrimSpace(v); v == "" {
			dates[field] = nil
			continue
		}
		d, err := time.Parse("2006-01-02", v)
		if err != nil {
			errs.Add(field, "enter a date like 2026-03-31")
		}
		dates[field] = d
	}
	return dates
}

// SetResolved resolves (or reopens) a ticket or remark. Resolved, it stops linking to new
// runs at once; its old links stay.
func SetResolved(ctx context.Context, idb bun.IDB, actor audit.Actor, kind string, id int64, resolved bool, now time.Time) error {
	t, err := tableFor(kind)
	if err != nil {
		return err
	}
	var by any
	if actor.ID != 0 {
		by = actor.ID
	}
	q := fmt.Sprintf("UPDATE %s SET resolved_at = ?, resolved_by = ?, updated_at = now() WHERE id = ?", t.items)
	args := []any{now, by, id}
	action := kind + ".resolved"
	if !resolved {
		args[0], args[1], action = nil, nil, kind+".reopened"
	}
	res, err := idb.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("tickets: %s: %w", action, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return db.ErrNotFound
	}
	if err := live.Notify(ctx, idb, live.Event{Topic: live.TopicRuns}); err != nil {
		return err
	}
	return audit.Record(ctx, idb, actor, action, fmt.Sprintf("%s:%d", kind, id), nil)
}

// SearchColumns are what a search of tickets or remarks i (kind; the page's q and the
// global search) looks in: the code, the text, and the names of what they cover.
func SearchColumns(kind string) []string {
	t, err := tableFor(kind)
	if err != nil {
		return nil
	}
	cols := []string{"i." + t.text}
	if kind == KindTicket {
		cols = append(cols, "i.ticket_code")
	}
	return append(cols, fmt.Sprintf(`EXISTS (
		SELECT 1 FROM %s s LEFT JOIN jobs j ON j.id = s.job_id
		LEFT JOIN customer_objects o ON o.id = s.customer_object_id
		LEFT JOIN customers c ON c.id = coalesce(s.customer_id, j.customer_id, o.customer_id)
		WHERE s.%s = i.id AND (j.job_name ILIKE {} OR c.name ILIKE {} OR o.object_name ILIKE {}))`, t.scopes, t.key))
}

// ListFilter narrows a list.
type ListFilter struct {
	Kind       string
	Resolved   *bool
	JobID      int64  // scoped to this job
	CustomerID int64  // scoped to this customer or one of its jobs
	Query      string // search terms (app/search/terms) over SearchColumns
}

// List returns tickets or remarks, newest first, with their scopes and linked runs.
func List(ctx context.Context, idb bun.IDB, f ListFilter) ([]Item, error) {
	t, err := tableFor(f.Kind)
	if err != nil {
		return nil, err
	}
	code, deleted := "''", "NULL::timestamptz"
	if f.Kind == KindTicket {
		code, deleted = "i.ticket_code", "i.autotask_deleted_at"
	}
	where := "true"
	var args []any
	if f.Resolved != nil {
		if *f.Resolved {
			where += " AND i.resolved_at IS NOT NULL"
		} else {
			where += " AND i.resolved_at IS NULL"
		}
	}
	if f.JobID != 0 {
		where += fmt.Sprintf(" AND EXISTS (SELECT 1 FROM %s s WHERE s.%s = i.id AND s.job_id = ?)", t.scopes, t.key)
		args = append(args, f.JobID)
	}
	if f.CustomerID != 0 {
		where += fmt.Sprintf(` AND EXISTS (SELECT 1 FROM %s s LEFT JOIN jobs j ON j.id = s.job_id
			LEFT JOIN customer_objects o ON o.id = s.customer_object_id
			WHERE s.%s = i.id AND ? IN (s.customer_id, j.customer_id, o.customer_id))`, t.scopes, t.key)
		args = append(args, f.CustomerID)
	}
	if cond, condArgs := terms.Parse(f.Query).Where(SearchColumns(f.Kind)...); cond != "" {
		where += " AND " + cond
		args = append(args, condArgs...)
	}
	var out []Item
	err = idb.NewRaw(fmt.Sprintf(`
		SELECT i.id, '%[5]s' AS kind, %[6]s AS code, i.%[7]s AS text, i.resolved_at, %[9]s AS autotask_deleted_at, i.created_at,
		       coalesce((SELECT string_agg(coalesce(c3.name || ' / object ' || o.object_name, c.name || ' / ' || j.job_name, c2.name), ', ')
		                 FROM %[2]s s LEFT JOIN jobs j ON j.id = s.job_id LEFT JOIN customers c ON c.id = j.customer_id
		                 LEFT JOIN customers c2 ON c2.id = s.customer_id
		                 LEFT JOIN customer_objects o ON o.id = s.customer_object_id LEFT JOIN customers c3 ON c3.id = o.customer_id
		                 WHERE s.%[4]s = i.id), '') AS scopes,
		       (SELECT count(*) FROM %[3]s l WHERE l.%[4]s = i.id) AS runs
		FROM %[1]s i WHERE %[8]s
		ORDER BY i.resolved_at IS NULL DESC, i.created_at DESC, i.id DESC
		LIMIT 500`, t.items, t.scopes, t.links, t.key, f.Kind, code, t.text, where, deleted), args...).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("tickets: list %ss: %w", f.Kind, err)
	}
	return out, nil
}

// Alert is a ticket or remark shown on a run.
type Alert struct {
	RunID    int64  `bun:"run_id" json:"-"`
	ID       int64  `bun:"id" json:"id"`
	Kind     string `bun:"kind" json:"kind"`
	Code     string `bun:"code" json:"code,omitempty"`
	Text     string `bun:"text" json:"text"`
	Direct   bool   `bun:"direct" json:"linked_to_run"`
	Resolved bool   `bun:"resolved" json:"resolved"`
}

// Alerts returns the tickets and remarks of a run (see RunsAlerts).
func Alerts(ctx context.Context, idb bun.IDB, runID int64) ([]Alert, error) {
	m, err := RunsAlerts(ctx, idb, []int64{runID})
	if err != nil {
		return nil, err
	}
	return m[runID], nil
}

// RunsAlerts returns the tickets and remarks of each run, from both sources: those
// linked to it (kept after they are resolved, as its audit trail) and the open ones whose
// scope covers it — its job, its job's customer, or an object in it — so one created a
// minute ago shows at once. De-duplicated per run; tickets first, open before resolved.
// Link- and scope-based, no date logic. Set-based: one query for all the runs.
func RunsAlerts(ctx context.Context, idb bun.IDB, runIDs []int64) (map[int64][]Alert, error) {
	out := map[int64][]Alert{}
	if len(runIDs) == 0 {
		return out, nil
	}
	var rows []Alert
	err := idb.NewRaw(`
		WITH runs AS (
			SELECT r.id, r.job_id, j.customer_id FROM job_runs r JOIN jobs j ON j.id = r.job_id WHERE r.id IN (?0))
		SELECT run_id, id, kind, code, text, bool_or(direct) AS direct, resolved FROM (
			SELECT l.job_run_id AS run_id, t.id, 'ticket' AS kind, t.ticket_code AS code, t.description AS text,
			       true AS direct, t.resolved_at IS NOT NULL AS resolved
			FROM ticket_job_runs l JOIN tickets t ON t.id = l.ticket_id WHERE l.job_run_id IN (?0)
			UNION ALL
			SELECT r.id, t.id, 'ticket', t.ticket_code, t.description, false, t.resolved_at IS NOT NULL
			FROM runs r
			JOIN ticket_scopes s ON s.job_id = r.job_id OR s.customer_id = r.customer_id
			     OR s.customer_object_id IN (SELECT ol.customer_object_id FROM run_object_links ol WHERE ol.job_run_id = r.id)
			JOIN tickets t ON t.id = s.ticket_id
			WHERE coalesce(s.resolved_at, t.resolved_at) IS NULL
			UNION ALL
			SELECT l.job_run_id, m.id, 'remark', '', m.body, true, m.resolved_at IS NOT NULL
			FROM remark_job_runs l JOIN remarks m ON m.id = l.remark_id WHERE l.job_run_id IN (?0)
			UNION ALL
			SELECT r.id, m.id, 'remark', '', m.body, false, m.resolved_at IS NOT NULL
			FROM runs r
			JOIN remark_scopes s ON s.job_id = r.job_id OR s.customer_id = r.customer_id
			     OR s.customer_object_id IN (SELECT ol.customer_object_id FROM run_object_links ol WHERE ol.job_run_id = r.id)
			JOIN remarks m ON m.id = s.remark_id
			WHERE coalesce(s.resolved_at, m.resolved_at) IS NULL
		) x GROUP BY run_id, id, kind, code, text, resolved ORDER BY run_id, kind DESC, resolved, id`, bun.In(runIDs)).Scan(ctx, &rows)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("tickets: alerts of %d runs: %w", len(runIDs), err)
	}
	for _, a := range rows {
		out[a.RunID] = append(out[a.RunID], a)
	}
	return out, nil
}

// OpenForJob returns the unresolved tickets and remarks whose open scope covers the job:
// the job itself, its customer, or an object the job backs up. Tickets first, newest
// first, with how many runs each is linked to.
func OpenForJob(ctx context.Context, idb bun.IDB, jobID int64) ([]Item, error) {
	var out []Item
	err := idb.NewRaw(`
		WITH job AS (SELECT id, customer_id FROM jobs WHERE id = ?0)
		SELECT * FROM (
			SELECT t.id, 'ticket' AS kind, t.ticket_code AS code, t.description AS text, t.resolved_at,
			       t.autotask_deleted_at, t.created_at,
			       (SELECT count(*) FROM ticket_job_runs l WHERE l.ticket_id = t.id) AS runs
			FROM tickets t
			WHERE t.resolved_at IS NULL AND EXISTS (
				SELECT 1 FROM job JOIN ticket_scopes s ON s.job_id = job.id OR s.customer_id = job.customer_id
				     OR s.customer_object_id IN (SELECT customer_object_id FROM job_object_links WHERE job_id = job.id)
				WHERE s.ticket_id = t.id AND s.resolved_at IS NULL)
			UNION ALL
			SELECT m.id, 'remark', '', m.body, m.resolved_at, NULL::timestamptz, m.created_at,
			       (SELECT count(*) FROM remark_job_runs l WHERE l.remark_id = m.id)
			FROM remarks m
			WHERE m.resolved_at IS NULL AND EXISTS (
				SELECT 1 FROM job JOIN remark_scopes s ON s.job_id = job.id OR s.customer_id = job.customer_id
				     OR s.customer_object_id IN (SELECT customer_object_id FROM job_object_links WHERE job_id = job.id)
				WHERE s.remark_id = m.id AND s.resolved_at IS NULL)
		) x ORDER BY kind DESC, created_at DESC, id DESC`, jobID).Scan(ctx, &out)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("tickets: open on job %d: %w", jobID, err)
	}
	return out, nil
}
