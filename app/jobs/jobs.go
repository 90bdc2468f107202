// Package jobs is the capability behind the Jobs pages: backup jobs, as an MSP monitors
// them (listing, one job's detail with history, heat strip and objects, archiving,
// deleting, schedules and match rules).
//
// "jobs" means two things in this module: this package is about backup jobs; River's
// background jobs are the top-level package jobs. In package app, which uses both,
// `jobs` is always this package and River's is imported as riverjobs.
package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/live"
	"github.com/backupchecks/backupchecks/app/search/terms"
	"github.com/backupchecks/backupchecks/db"
)

// Row is one job in a list.
type Row struct {
	ID              int64        `bun:"id"`
	CustomerID      int64        `bun:"customer_id"`
	CustomerName    string       `bun:"customer_name"`
	CustomerActive  bool         `bun:"customer_active"`
	JobName         string       `bun:"job_name"`
	BackupSoftware  string       `bun:"backup_software"`
	BackupType      string       `bun:"backup_type"`
	Informational   bool         `bun:"informational"`
	LearnedSchedule *db.Schedule `bun:"learned_schedule"` // nil: nothing learned yet
	ManualSchedule  *db.Schedule `bun:"manual_schedule"`  // nil: none set
	ScheduleLocked  bool         `bun:"schedule_locked"`
	GraceMinutes    *int         `bun:"schedule_grace_minutes"`
	LastRunAt       *time.Time   `bun:"last_run_at"`
	LastRunStatus   string       `bun:"last_run_status"`
	Unreviewed      int          `bun:"unreviewed_count"`
	ArchivedAt      *time.Time   `bun:"archived_at"`
}

// Filter selects and orders a list of jobs.
type Filter struct {
	CustomerID int64  // that customer's jobs, whether the customer is active or not
	Query      string // search terms (app/search/terms) over SearchColumns
	// IncludeInactive lists the jobs of inactive customers too (without it, and without
	// a customer, they are left out and counted in Page.HiddenInactive).
	IncludeInactive bool
	Archived        bool   // the Archived jobs page
	Sort            string // customer (default), job, last_run, status
	Page            int
	PerPage         int
}

// Page is one page of jobs.
type Page struct {
	Rows           []Row
	Total          int
	HiddenInactive int // jobs matching the filter left out because their customer is inactive
}

// SearchColumns are what a Jobs search (the page's q and the global search) looks in,
// for jobs j: their name, customer's name, backup software and type. The customer is
// matched as a list of ids, not through a join, so that every term is one BitmapOr
// over the trigram indexes of jobs (a condition on the joined customer would make the
// planner test every job).
var SearchColumns = []string{"j.job_name", CustomerNameMatches, "j.backup_software", "j.backup_type"}

// CustomerNameMatches is the search column (app/search/terms) of the name of job j's
// customer, for lists of jobs.
const CustomerNameMatches = "j.customer_id = ANY (ARRAY(SELECT sc.id FROM customers sc WHERE sc.name ILIKE {}))"

// Listed is the condition on jobs j of the Jobs list (and of every count that
// promises to match it, such as a customer's job count): not archived and active.
const Listed = "j.archived_at IS NULL AND j.active"

var sorts = map[string]string{
	"customer": "lower(c.name), lower(j.job_name), j.id",
	"job":      "lower(j.job_name), lower(c.name), j.id",
	"last_run": "j.last_run_at DESC NULLS LAST, j.id",
	"status":   "status_severity(j.last_run_status) DESC NULLS LAST, lower(c.name), j.id",
}

// SortKeys are the accepted Filter.Sort values.
func SortKeys() []string { return []string{"customer", "job", "last_run", "status"} }

// List returns the listed jobs (Listed) of active customers, or of the filter's
// customer, or the archived jobs, one page, from the per-job summary columns: no
// aggregation over runs. The text search uses the trigram indexes on names.
func List(ctx context.Context, idb bun.IDB, f Filter) (Page, error) {
	order, ok := sorts[f.Sort]
	if !ok {
		order = sorts["customer"]
	}
	if f.Page < 1 {
		f.Page = 1
	}
	q := idb.NewSelect().TableExpr("jobs AS j").Join("JOIN customers AS c ON c.id = j.customer_id")
	if f.Archived {
		q = q.Where("j.archived_at IS NOT NULL")
	} else {
		q = q.Where(Listed)
	}
	if f.CustomerID != 0 {
		q = q.Where("j.customer_id = ?", f.CustomerID)
	}
	if cond, args := terms.Parse(f.Query).Where(SearchColumns...); cond != "" {
		q = q.Where(cond, args...)
	}
	// Inactive customers' jobs are hidden unless asked for (or their customer is), and
	// the same count says how many were.
	hide := !f.Archived && f.CustomerID == 0 && !f.IncludeInactive
	var p Page
	var counts struct {
		Active   int `bun:"active"`
		Inactive int `bun:"inactive"`
	}
	err := q.Clone().ColumnExpr("count(*) FILTER (WHERE c.active) AS active, count(*) FILTER (WHERE NOT c.active) AS inactive").Scan(ctx, &counts)
	if err != nil {
		return p, fmt.Errorf("jobs: count: %w", err)
	}
	p.Total = counts.Active + counts.Inactive
	if hide {
		p.Total, p.HiddenInactive = counts.Active, counts.Inactive
		q = q.Where("c.active")
	}
	err = q.ColumnExpr("j.id, j.customer_id, c.name AS customer_name, c.active AS customer_active, j.job_name, j.backup_software, j.backup_type").
		ColumnExpr("j.informational, j.learned_schedule, j.manual_schedule, j.schedule_locked, j.schedule_grace_minutes").
		ColumnExpr("j.last_run_at, coalesce(j.last_run_status, '') AS last_run_status, j.unreviewed_count, j.archived_at").
		OrderExpr(order).Limit(int64(f.PerPage)).Offset(int64((f.Page-1)*f.PerPage)).Scan(ctx, &p.Rows)
	if err != nil {
		return p, fmt.Errorf("jobs: list: %w", err)
	}
	return p, nil
}

// Get returns one job as a Row (archived or not).
func Get(ctx context.Context, idb bun.IDB, id int64) (*Row, error) {
	var r Row
	err := idb.NewSelect().TableExpr("jobs AS j").Join("JOIN customers AS c ON c.id = j.customer_id").
		ColumnExpr("j.id, j.customer_id, c.name AS customer_name, c.active AS customer_active, j.job_name, j.backup_software, j.backup_type").
		ColumnExpr("j.informational, j.learned_schedule, j.manual_schedule, j.schedule_locked, j.schedule_grace_minutes").
		ColumnExpr("j.last_run_at, coalesce(j.last_run_status, '') AS last_run_status, j.unreviewed_count, j.archived_at").
		Where("j.id = ?", id).Scan(ctx, &r)
	if err != nil {
		return nil, fmt.Errorf("jobs: get %d: %w", id, db.NotFound(err))
	}
	return &r, nil
}

// Run is one run in a job's history.
type Run struct {
	ID               int64      `bun:"id"`
	Status           string     `bun:"status"`
	OverriddenStatus string     `bun:"overridden_status"`
	SourceType       string     `bun:"source_type"`
	RunAt            time.Time  `bun:"run_at"`
	StartedAt        *time.Time `bun:"started_at"`
	EndedAt          *time.Time `bun:"ended_at"`
	MailID           *int64     `bun:"mail_message_id"`
	Message          string     `bun:"message"`
	ReviewedAt       *time.Time `bun:"reviewed_at"`
	ReviewedBy       string     `bun:"reviewed_by"`
	Superseded       bool       `bun:"superseded"`
	Objects          int        `bun:"objects"`
}

// Effective is the status shown: an override's when one applied.
func (r Run) Effective() string {
	if r.OverriddenStatus != "" {
		return r.OverriddenStatus
	}
	return r.Status
}

// History returns one page of a job's runs, newest first (index job_id, run_at DESC).
func History(ctx context.Context, idb bun.IDB, jobID int64, page, perPage int) ([]Run, int, error) {
	if page < 1 {
		page = 1
	}
	var total int
	if err := idb.NewRaw("SELECT count(*) FROM job_runs WHERE job_id = ?", jobID).Scan(ctx, &total); err != nil {
		return nil, 0, fmt.Errorf("jobs: count runs of %d: %w", jobID, err)
	}
	var runs []Run
	err := idb.NewRaw(`
		SELECT r.id, r.status, coalesce(r.overridden_status, '') AS overridden_status,
		       coalesce(r.source_type, 'email') AS source_type, r.run_at, r.started_at, r.ended_at,
		       r.mail_message_id, coalesce(r.message, '') AS message, r.reviewed_at,
		       coalesce(u.display_name, u.username, '') AS reviewed_by,
		       r.superseded_at IS NOT NULL AS superseded,
		       (SELECT count(*) FROM run_object_links l WHERE l.job_run_id = r.id) AS objects
		FROM job_runs r LEFT JOIN users u ON u.id = r.reviewed_by
		WHERE r.job_id = ?
		ORDER BY r.run_at DESC, r.id DESC
		LIMIT ? OFFSET ?`, jobID, perPage, (page-1)*perPage).Scan(ctx, &runs)
	if err != nil {
		return nil, 0, fmt.Errorf("jobs: runs of %d: %w", jobID, err)
	}
	return runs, total, nil
}

// Day is one day of the heat strip: the worst effective status of its runs.
type Day struct {
	Date   time.Time // local midnight
	Status string    // "" when nothing ran
	Runs   int
}

// HeatStrip returns the last days days (oldest first) ending today in loc, each with
// the worst status of that local day's runs. Superseded missed runs do not count.
func HeatStrip(ctx context.Context, idb bun.IDB, jobID int64, loc *time.Location, now time.Time, days int) ([]Day, error) {
	today := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 0, 0, 0, 0, loc)
	from := today.AddDate(0, 0, -(days - 1))
	var rows []struct {
		Day    string `bun:"day"`
		Status string `bun:"status"`
		Runs   int    `bun:"runs"`
	}
	err := idb.NewRaw(`
		SELECT to_char((run_at AT TIME ZONE ?), 'YYYY-MM-DD') AS day,
		       (array_agg(coalesce(overridden_status, status) ORDER BY status_severity(coalesce(overridden_status, status)) DESC))[1] AS status,
		       count(*) AS runs
		FROM job_runs
		WHERE job_id = ? AND run_at >= ? AND superseded_at IS NULL
		GROUP BY 1`, loc.String(), jobID, from).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("jobs: heat strip of %d: %w", jobID, err)
	}
	byDay := map[string]int{}
	for i, r := range rows {
		byDay[r.Day] = i
	}
	out := make([]Day, days)
	for i := range days {
		d := from.AddDate(0, 0, i)
		out[i] = Day{Date: d}
		if j, ok := byDay[d.Format("2006-01-02")]; ok {
			out[i].Status, out[i].Runs = rows[j].Status, rows[j].Runs
		}
	}
	return out, nil
}

// Object is a thing the job backs up, with its latest result.
type Object struct {
	Name       string    `bun:"object_name"`
	Type       string    `bun:"object_type"`
	LastSeenAt time.Time `bun:"last_seen_at"`
	LastStatus string    `bun:"last_status"`
	LastError  string    `bun:"last_error"`
}

// Objects lists the job's objects with the result of the most recent run that had them.
func Objects(ctx context.Context, idb bun.IDB, jobID int64) ([]Object, error) {
	var out []Object
	err := idb.NewRaw(`
		SELECT co.object_name, co.object_type, l.last_seen_at,
		       coalesce(last.status, '') AS last_status, coalesce(last.error_message, '') AS last_error
		FROM job_object_links l
		JOIN customer_objects co ON co.id = l.customer_object_id
		LEFT JOIN LATERAL (
			SELECT rol.status, rol.error_message FROM run_object_links rol JOIN job_runs r ON r.id = rol.job_run_id
			WHERE rol.customer_object_id = co.id AND r.job_id = l.job_id
			ORDER BY r.run_at DESC LIMIT 1) last ON true
		WHERE l.job_id = ?
		ORDER BY lower(co.object_name)`, jobID).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("jobs: objects of %d: %w", jobID, err)
	}
	return out, nil
}

// SetArchived archives or unarchives a job. Archived jobs take no new runs and get no
// missed runs; their history stays.
func SetArchived(ctx context.Context, idb bun.IDB, actor audit.Actor, id int64, archived bool, now time.Time) error {
	q := idb.NewUpdate().Model((*db.Job)(nil)).Set("updated_at = now()").Where("id = ?", id)
	action := "job.unarchived"
	if archived {
		q = q.Set("archived_at = ?", now).Where("archived_at IS NULL")
		action = "job.archived"
	} else {
		q = q.Set("archived_at = NULL").Where("archived_at IS NOT NULL")
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return fmt.Errorf("jobs: %s %d: %w", action, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	if err := live.Notify(ctx, idb, live.Event{Topic: live.TopicRuns}); err != nil {
		return err
	}
	return audit.Record(ctx, idb, actor, action, fmt.Sprintf("job:%d", id), nil)
}

// Deleted counts what deleting a job removed.
type Deleted struct {
	Runs         int64
	MailsToInbox int64
	JobName      string
	CustomerName string
}

// Delete removes a job and its history, set-based in foreign-key order
// (deleteJobs); its mails go back to the Inbox, unlinked, so they can be approved
// again. One transaction.
func Delete(ctx context.Context, bdb *bun.DB, actor audit.Actor, id int64) (Deleted, error) {
	var out Deleted
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		j, err := Get(ctx, tx, id)
		if err != nil {
			return err
		}
		out.JobName, out.CustomerName = j.JobName, j.CustomerName
		if _, err := tx.ExecContext(ctx, "SELECT 1 FROM jobs WHERE id = ? FOR UPDATE", id); err != nil {
			return err
		}
		n, err := deleteJobs(ctx, tx, false, "id = ?", id)
		if err != nil {
			return err
		}
		out.Runs, out.MailsToInbox = n.Runs, n.MailsToInbox
		if err := live.Notify(ctx, tx, live.Event{Topic: live.TopicInbox}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, "job.deleted", fmt.Sprintf("job:%d", id), map[string]any{
			"job_name": j.JobName, "customer": j.CustomerName, "runs": out.Runs, "mails_to_inbox": out.MailsToInbox})
	})
	if err != nil {
		return out, fmt.Errorf("jobs: delete %d: %w", id, err)
	}
	return out, nil
}

// Choice is a job found by Search, labelled "Customer / job".
type Choice struct {
	ID    int64  `bun:"id"`
	Label string `bun:"label"`
}

// Search returns up to limit jobs that are not archived whose name or customer's name
// contains q, by customer and job name.
func Search(ctx context.Context, idb bun.IDB, q string, limit int) ([]Choice, error) {
	var out []Choice
	like := db.LikeContains(q)
	if err := idb.NewRaw(`
		SELECT j.id, c.name || ' / ' || j.job_name AS label FROM jobs j JOIN customers c ON c.id = j.customer_id
		WHERE j.archived_at IS NULL AND (j.job_name ILIKE ? OR c.name ILIKE ?)
		ORDER BY lower(c.name), lower(j.job_name) LIMIT ?`, like, like, limit).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("jobs: search %q: %w", q, err)
	}
	return out, nil
}
