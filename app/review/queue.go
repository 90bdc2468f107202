package review

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// QueueFilter narrows the Run Checks queue; every field is optional.
type QueueFilter struct {
	CustomerID      int64
	Status          string // a run status: only jobs with such runs, and only those runs
	Software        string
	Type            string
	Text            string // in customer, job name or run message
	From, To        *time.Time
	IncludeReviewed bool // admins: show reviewed runs too
	Page            int  // pages of job groups
	PerPage         int
}

// QueueRun is one run in a job group.
type QueueRun struct {
	ID         int64      `bun:"id"`
	JobID      int64      `bun:"job_id"`
	Status     string     `bun:"status"` // effective
	Overridden bool       `bun:"overridden"`
	Source     string     `bun:"source"`
	RunAt      time.Time  `bun:"run_at"`
	Message    string     `bun:"message"`
	MailID     *int64     `bun:"mail_message_id"`
	ReviewedAt *time.Time `bun:"reviewed_at"`
}

// QueueGroup is one job with its runs to review.
type QueueGroup struct {
	JobID        int64           `bun:"job_id"`
	CustomerID   int64           `bun:"customer_id"`
	CustomerName string          `bun:"customer_name"`
	JobName      string          `bun:"job_name"`
	Software     string          `bun:"backup_software"`
	Type         string          `bun:"backup_type"`
	Schedule     json.RawMessage `bun:"schedule"`
	Worst        string          `bun:"worst"`
	Unreviewed   int             `bun:"unreviewed_count"`
	Ticket       bool            `bun:"ticket"`
	Remark       bool            `bun:"remark"`
	Runs         []QueueRun      `bun:"-"`
}

// maxRunsPerGroup bounds the runs shown per job; the rest are one click away (job page).
const maxRunsPerGroup = 50

// Queue returns one page of the Run Checks queue: jobs with runs to review (from the
// per-job summary, so no aggregation over millions of runs), worst status first then
// newest, each with its runs. Informational 3CX jobs (updates, certificates) are left out.
func Queue(ctx context.Context, idb bun.IDB, f QueueFilter) ([]QueueGroup, int, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	runCond, runArgs := runFilter(f)
	where := []string{"c.active", "j.archived_at IS NULL",
		"NOT (j.backup_software ILIKE '3CX%' AND j.backup_type IN ('Updates', 'SSL Certificate'))"}
	var args []any
	if !f.IncludeReviewed {
		where = append(where, "j.unreviewed_count > 0")
	}
	if f.CustomerID != 0 {
		where, args = append(where, "j.customer_id = ?"), append(args, f.CustomerID)
	}
	if f.Software != "" {
		where, args = append(where, "j.backup_software = ?"), append(args, f.Software)
	}
	if f.Type != "" {
		where, args = append(where, "j.backup_type = ?"), append(args, f.Type)
	}
	if runCond != "" {
		where = append(where, "EXISTS (SELECT 1 FROM job_runs r WHERE r.job_id = j.id AND "+runCond+")")
		args = append(args, runArgs...)
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(t) + "%"
		where = append(where, "(c.name ILIKE ? OR j.job_name ILIKE ? OR EXISTS (SELECT 1 FROM job_runs r WHERE r.job_id = j.id AND r.reviewed_at IS NULL AND r.message ILIKE ?))")
		args = append(args, like, like, like)
	}
	cond := strings.Join(where, " AND ")
	var rows []struct {
		QueueGroup
		Total int `bun:"total"`
	}
	// The total comes with the page (a window count), saving a query per refresh.
	err := idb.NewRaw(`
		SELECT j.id AS job_id, c.id AS customer_id, c.name AS customer_name, j.job_name, j.backup_software, j.backup_type,
		       schedule_effective(j.learned_schedule, j.manual_schedule, j.schedule_locked) AS schedule,
		       coalesce(j.worst_unreviewed_status, j.last_run_status, '') AS worst, j.unreviewed_count,
		       EXISTS (SELECT 1 FROM ticket_scopes ts JOIN tickets t ON t.id = ts.ticket_id
		               WHERE (ts.job_id = j.id OR ts.customer_id = j.customer_id) AND coalesce(ts.resolved_at, t.resolved_at) IS NULL) AS ticket,
		       EXISTS (SELECT 1 FROM remark_scopes rs JOIN remarks rm ON rm.id = rs.remark_id
		               WHERE (rs.job_id = j.id OR rs.customer_id = j.customer_id) AND coalesce(rs.resolved_at, rm.resolved_at) IS NULL) AS remark,
		       count(*) OVER () AS total
		FROM jobs j JOIN customers c ON c.id = j.customer_id
		WHERE `+cond+`
		ORDER BY status_severity(coalesce(j.worst_unreviewed_status, j.last_run_status)) DESC NULLS LAST,
		         j.last_run_at DESC NULLS LAST, j.id
		LIMIT ? OFFSET ?`, append(args, f.PerPage, (f.Page-1)*f.PerPage)...).Scan(ctx, &rows)
	if err != nil {
		return nil, 0, fmt.Errorf("review: queue: %w", err)
	}
	groups := make([]QueueGroup, len(rows))
	total := 0
	for i, r := range rows {
		groups[i], total = r.QueueGroup, r.Total
	}
	if len(rows) == 0 && f.Page > 1 {
		// Past the last page: the count still tells how many there are.
		if err := idb.NewRaw("SELECT count(*) FROM jobs j JOIN customers c ON c.id = j.customer_id WHERE "+cond, args...).Scan(ctx, &total); err != nil {
			return nil, 0, fmt.Errorf("review: queue count: %w", err)
		}
	}
	if len(groups) == 0 {
		return groups, total, nil
	}
	ids := make([]int64, len(groups))
	at := map[int64]int{}
	for i, g := range groups {
		ids[i], at[g.JobID] = g.JobID, i
	}
	rc := "r.superseded_at IS NULL"
	if !f.IncludeReviewed {
		rc += " AND r.reviewed_at IS NULL"
	}
	if runCond != "" {
		rc += " AND " + runCond
	}
	var runs []QueueRun
	err = idb.NewRaw(`
		SELECT id, job_id, status, overridden, source, run_at, message, mail_message_id, reviewed_at FROM (
			SELECT r.id, r.job_id, coalesce(r.overridden_status, r.status) AS status, r.overridden_status IS NOT NULL AS overridden,
			       coalesce(r.source_type, 'email') AS source, r.run_at, coalesce(r.message, '') AS message,
			       r.mail_message_id, r.reviewed_at,
			       row_number() OVER (PARTITION BY r.job_id ORDER BY r.run_at DESC, r.id DESC) AS n
			FROM job_runs r
			WHERE r.job_id = ANY(?) AND `+rc+`) x
		WHERE n <= ?
		ORDER BY job_id, run_at DESC, id DESC`, append(append([]any{pgdialect.Array(ids)}, runArgs...), maxRunsPerGroup)...).Scan(ctx, &runs)
	if err != nil {
		return nil, 0, fmt.Errorf("review: queue runs: %w", err)
	}
	for _, r := range runs {
		g := &groups[at[r.JobID]]
		g.Runs = append(g.Runs, r)
	}
	return groups, total, nil
}

// runFilter is the condition on job_runs r for the filter's run criteria.
func runFilter(f QueueFilter) (string, []any) {
	var conds []string
	var args []any
	if f.Status != "" {
		conds, args = append(conds, "coalesce(r.overridden_status, r.status) = ?"), append(args, f.Status)
	}
	if f.From != nil {
		conds, args = append(conds, "r.run_at >= ?"), append(args, *f.From)
	}
	if f.To != nil {
		conds, args = append(conds, "r.run_at < ?"), append(args, *f.To)
	}
	if len(conds) > 0 && !f.IncludeReviewed {
		conds = append(conds, "r.reviewed_at IS NULL")
	}
	return strings.Join(conds, " AND "), args
}
