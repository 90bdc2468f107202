package review

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/search/terms"
	"github.com/backupchecks/backupchecks/db"
)

// QueueFilter narrows the Run Checks queue; every field is optional.
type QueueFilter struct {
	CustomerID      int64
	Status          string // a run status: only jobs with such runs, and only those runs
	Software        string
	Type            string
	Text            string // search terms (app/search/terms) over QueueSearchColumns
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
	JobID        int64        `bun:"job_id"`
	CustomerID   int64        `bun:"customer_id"`
	CustomerName string       `bun:"customer_name"`
	JobName      string       `bun:"job_name"`
	Software     string       `bun:"backup_software"`
	Type         string       `bun:"backup_type"`
	Schedule     *db.Schedule `bun:"schedule"` // the effective schedule; nil: none
	Worst        string       `bun:"worst"`
	Unreviewed   int          `bun:"unreviewed_count"`
	Ticket       bool         `bun:"ticket"`
	Tickets      []string     `bun:"-"` // the open tickets' numbers, at most maxTicketCodes
	Remark       bool         `bun:"remark"`
	Runs         []QueueRun   `bun:"-"`
}

// QueueJobs is the condition on jobs j that puts a job's unreviewed runs in the Run
// Checks queue: not archived, not one of 3CX's informational jobs (updates,
// certificates), of an active customer. Every figure of "runs to review" (the
// dashboard's too) uses it, so they agree with the queue.
const QueueJobs = "j.archived_at IS NULL" +
	// The type first: most jobs fail it, and ILIKE costs as much as the rest together.
	" AND NOT (j.backup_type IN ('Update', 'SSL Certificate') AND j.backup_software ILIKE '3CX%')" +
	// An anti-join on the few inactive customers: no join per job to count.
	" AND j.customer_id NOT IN (SELECT id FROM customers WHERE NOT active)"

// QueueSearchColumns are what a Run Checks search (the page's q and the global search)
// looks in, for jobs j: the job's name, backup software and type, its customer's name
// and its unreviewed runs' messages. Customers and runs are matched once each into a
// list of ids (by their trigram indexes), not per job.
var QueueSearchColumns = []string{"j.job_name", "j.backup_software", "j.backup_type",
	"j.customer_id = ANY (ARRAY(SELECT sc.id FROM customers sc WHERE sc.name ILIKE {}))",
	"j.id = ANY (ARRAY(SELECT sr.job_id FROM job_runs sr WHERE sr.reviewed_at IS NULL AND sr.message ILIKE {}))"}

// ToReview counts the runs waiting in the unfiltered Run Checks queue and the jobs
// they belong to, from the per-job summary (no count over runs).
func ToReview(ctx context.Context, idb bun.IDB) (runs, jobs int, err error) {
	err = idb.NewRaw(`SELECT coalesce(sum(j.unreviewed_count), 0), count(*) FROM jobs j
		WHERE j.unreviewed_count > 0 AND `+QueueJobs).Scan(ctx, &runs, &jobs)
	if err != nil {
		return 0, 0, fmt.Errorf("review: runs to review: %w", err)
	}
	return runs, jobs, nil
}

// maxTicketCodes bounds the ticket numbers shown beside a job in the queue.
const maxTicketCodes = 3

// maxRunsPerGroup bounds the runs shown per job; the rest are one click away (job page).
const maxRunsPerGroup = 50

// Queue returns one page of the Run Checks queue: jobs with runs to review (from the
// per-job summary, so no aggregation over millions of runs), worst status first then
// newest, each with its runs. Informational 3CX jobs (updates, certificates) are left out.
//
// It is the page operators reload all morning, so both queries are cached statements
// (db.QueryCached) and the page of jobs is picked from the partial index
// jobs_review_queue_idx before anything per job (schedule, ticket and remark flags) is
// computed.
func Queue(ctx context.Context, idb bun.IDB, f QueueFilter) ([]QueueGroup, int, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	var args db.Args
	runCond := runFilter(f, &args)
	where := []string{QueueJobs}
	if !f.IncludeReviewed {
		where = append(where, "j.unreviewed_count > 0")
	}
	if f.CustomerID != 0 {
		where = append(where, "j.customer_id = "+args.Add(f.CustomerID))
	}
	if f.Software != "" {
		where = append(where, "j.backup_software = "+args.Add(f.Software))
	}
	if f.Type != "" {
		where = append(where, "j.backup_type = "+args.Add(f.Type))
	}
	if runCond != "" {
		where = append(where, "EXISTS (SELECT 1 FROM job_runs r WHERE r.job_id = j.id AND "+runCond+")")
	}
	if cond := terms.Parse(f.Text).Cond(args.Add, QueueSearchColumns...); cond != "" {
		where = append(where, cond)
	}
	cond := strings.Join(where, " AND ")
	// The total comes with the page (a window count), saving a query per refresh. LIMIT
	// and OFFSET are written out, not parameters: without a filter the statement then has
	// no parameters, and Postgres plans it once per connection (with parameters it plans
	// each call, as its generic plan for an unknown LIMIT looks costlier).
	rows, err := db.QueryCached(ctx, idb, `
		SELECT j.id, c.id, c.name, j.job_name, j.backup_software, j.backup_type,
		       schedule_effective(j.learned_schedule, j.manual_schedule, j.schedule_locked),
		       coalesce(j.worst_unreviewed_status, j.last_run_status, ''), j.unreviewed_count,
		       coalesce((SELECT string_agg(x.code, E'\n' ORDER BY x.code) FROM (
		                   SELECT DISTINCT t.ticket_code AS code FROM ticket_scopes ts JOIN tickets t ON t.id = ts.ticket_id
		                   WHERE (ts.job_id = j.id OR ts.customer_id = j.customer_id) AND coalesce(ts.resolved_at, t.resolved_at) IS NULL
		                   ORDER BY 1 LIMIT `+strconv.Itoa(maxTicketCodes)+`) x), ''),
		       EXISTS (SELECT 1 FROM remark_scopes rs JOIN remarks rm ON rm.id = rs.remark_id
		               WHERE (rs.job_id = j.id OR rs.customer_id = j.customer_id) AND coalesce(rs.resolved_at, rm.resolved_at) IS NULL),
		       p.total
		FROM (SELECT j.id, j.queue_severity, j.last_run_at, count(*) OVER () AS total
		      FROM jobs j
		      WHERE `+cond+`
		      ORDER BY j.queue_severity DESC NULLS LAST, j.last_run_at DESC NULLS LAST, j.id
		      LIMIT `+strconv.Itoa(f.PerPage)+` OFFSET `+strconv.Itoa((f.Page-1)*f.PerPage)+`) p
		JOIN jobs j ON j.id = p.id JOIN customers c ON c.id = j.customer_id
		ORDER BY p.queue_severity DESC NULLS LAST, p.last_run_at DESC NULLS LAST, p.id`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("review: queue: %w", err)
	}
	var groups []QueueGroup
	total := 0
	err = scanAll(rows, func() error {
		var g QueueGroup
		var codes string
		if err := rows.Scan(&g.JobID, &g.CustomerID, &g.CustomerName, &g.JobName, &g.Software, &g.Type,
			&g.Schedule, &g.Worst, &g.Unreviewed, &codes, &g.Remark, &total); err != nil {
			return err
		}
		if codes != "" {
			g.Tickets, g.Ticket = strings.Split(codes, "\n"), true
		}
		groups = append(groups, g)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("review: queue: %w", err)
	}
	if len(groups) == 0 && f.Page > 1 {
		// Past the last page: the count still tells how many there are.
		rows, err := db.QueryCached(ctx, idb, "SELECT count(*) FROM jobs j WHERE "+cond, args...)
		if err == nil {
			err = scanAll(rows, func() error { return rows.Scan(&total) })
		}
		if err != nil {
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
	// Each job's newest runs by its (job_id, run_at) index, stopping at the limit: with
	// reviewed runs included a job has years of them.
	var runArgs db.Args
	jobIDs := runArgs.Add(ids)
	rc := "r.job_id = g.job_id AND r.superseded_at IS NULL"
	if !f.IncludeReviewed {
		rc += " AND r.reviewed_at IS NULL"
	}
	if c := runFilter(f, &runArgs); c != "" {
		rc += " AND " + c
	}
	rows, err = db.QueryCached(ctx, idb, `
		SELECT r.id, g.job_id, coalesce(r.overridden_status, r.status), r.overridden_status IS NOT NULL,
		       coalesce(r.source_type, 'email'), r.run_at, coalesce(r.message, ''), r.mail_message_id, r.reviewed_at
		FROM unnest(`+jobIDs+`::bigint[]) AS g(job_id)
		CROSS JOIN LATERAL (
			SELECT * FROM job_runs r WHERE `+rc+`
			ORDER BY r.run_at DESC, r.id DESC
			LIMIT `+strconv.Itoa(maxRunsPerGroup)+`) r
		ORDER BY g.job_id, r.run_at DESC, r.id DESC`, runArgs...)
	if err != nil {
		return nil, 0, fmt.Errorf("review: queue runs: %w", err)
	}
	err = scanAll(rows, func() error {
		var r QueueRun
		if err := rows.Scan(&r.ID, &r.JobID, &r.Status, &r.Overridden, &r.Source, &r.RunAt, &r.Message,
			&r.MailID, &r.ReviewedAt); err != nil {
			return err
		}
		g := &groups[at[r.JobID]]
		g.Runs = append(g.Runs, r)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("review: queue runs: %w", err)
	}
	return groups, total, nil
}

// scanAll calls scan for each row and closes rows.
func scanAll(rows *sql.Rows, scan func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// runFilter is the condition on job_runs r for the filter's run criteria; its values go
// to args.
func runFilter(f QueueFilter, args *db.Args) string {
	var conds []string
	switch f.Status {
	case "":
	case db.StatusSuccess, db.StatusWarning, db.StatusFailed, db.StatusMissed, db.StatusInfo:
		// Written out, not a parameter, so that the plan can use the partial index of
		// runs that are not a success (job_runs_not_success_idx) for the other statuses.
		conds = append(conds, "coalesce(r.overridden_status, r.status) = '"+f.Status+"'")
	default:
		conds = append(conds, "false") // no run has an unknown status
	}
	if f.From != nil {
		conds = append(conds, "r.run_at >= "+args.Add(*f.From))
	}
	if f.To != nil {
		conds = append(conds, "r.run_at < "+args.Add(*f.To))
	}
	if len(conds) > 0 && !f.IncludeReviewed {
		conds = append(conds, "r.reviewed_at IS NULL")
	}
	return strings.Join(conds, " AND ")
}
