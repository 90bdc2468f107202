package schedule

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/search/terms"
	"github.com/backupchecks/backupchecks/db"
)

// DayStatusExpected is the Daily Jobs status of a slot whose time (plus grace) has not
// come yet.
const DayStatusExpected = "Expected"

// DayRow is one job on the Daily Jobs page for one local date.
type DayRow struct {
	JobID          int64        `bun:"job_id"`
	CustomerID     int64        `bun:"customer_id"`
	CustomerName   string       `bun:"customer_name"`
	JobName        string       `bun:"job_name"`
	BackupSoftware string       `bun:"backup_software"`
	BackupType     string       `bun:"backup_type"`
	Schedule       *db.Schedule `bun:"schedule"`    // effective schedule; nil: none learned or set
	ExpectedAt     *time.Time   `bun:"expected_at"` // nil: a run on a day the job was not expected
	LastRunAt      *time.Time   `bun:"last_run_at"`
	Status         string       `bun:"status"`   // Success, Warning, Failed, Missed or Expected
	Runs           int          `bun:"runs"`     // real runs that day
	Recorded       int          `bun:"recorded"` // runs stored that day, missed ones included
	Overridden     bool         `bun:"overridden"`
	Unreviewed     int          `bun:"unreviewed"` // non-success runs of the day not reviewed
	Ticket         bool         `bun:"ticket"`
	Remark         bool         `bun:"remark"`
}

// DayFilter narrows the Daily Jobs list.
type DayFilter struct {
	Status     string // "" for all
	CustomerID int64  // 0 for all; the counts per status are of this customer's jobs too
	Query      string // search terms (app/search/terms) over DaySearchColumns; the counts too
	Page       int
	PerPage    int
}

// DaySearchColumns are what a Daily Jobs search (the page's q and the global search)
// looks in, for jobs j: their name, customer's name, backup software and type.
// (The customer as a list of ids, as jobs.SearchColumns, for the trigram indexes.)
var DaySearchColumns = []string{"j.job_name", "j.customer_id = ANY (ARRAY(SELECT sc.id FROM customers sc WHERE sc.name ILIKE {}))",
	"j.backup_software", "j.backup_type"}

// DaySummary counts the day's jobs per status.
type DaySummary map[string]int

// dayRunFigures aggregates a job's runs r of a day (grouped by job): real runs, runs
// stored (missed ones included), the worst effective status, whether an override
// applied, and the non-success runs not reviewed.
const dayRunFigures = `count(*) FILTER (WHERE r.source_type IS DISTINCT FROM 'missed') AS runs, count(*) AS recorded,
	(array_agg(coalesce(r.overridden_status, r.status)
	           ORDER BY status_severity(coalesce(r.overridden_status, r.status)) DESC))[1] AS worst,
	bool_or(r.overridden_status IS NOT NULL) AS overridden,
	count(*) FILTER (WHERE r.reviewed_at IS NULL AND coalesce(r.overridden_status, r.status) NOT IN ('Success', 'Info')) AS unreviewed`

// Day lists the jobs expected on local date d (the same jobs and instants as
// GenerateMissedRuns uses, from the job's creation or its first run, whichever is
// earlier) and the jobs that had runs that day without being expected, with that day's
// outcome, worst first then by customer, one page at a time, plus the count per status. One query each; per job only index
// lookups on (job_id, run_at).
func Day(ctx context.Context, idb bun.IDB, d Date, loc *time.Location, now time.Time, f DayFilter) ([]DayRow, DaySummary, error) {
	dayStart := LocalInstant(d, 0, 0, loc)
	dayEnd := LocalInstant(d.AddDays(1), 0, 0, loc)
	// Expected instants are computed once per distinct schedule, not per job (time zone
	// arithmetic is the costly part), and the day's runs are read by one range scan on
	// run_at and grouped, not looked up job by job.
	// A customer or search filter picks the jobs first (wanted), and only those are
	// evaluated: a search finds a few jobs among thousands, and the day's figures of
	// the others would cost as much as the whole page. Its arguments come first.
	var conds []string
	var args []any
	if f.CustomerID != 0 {
		conds, args = append(conds, "j.customer_id = ?"), append(args, f.CustomerID)
	}
	if cond, condArgs := terms.Parse(f.Query).Where(DaySearchColumns...); cond != "" {
		conds, args = append(conds, cond), append(args, condArgs...)
	}
	wanted, eligibleWanted, runWanted := "", "", ""
	if len(conds) > 0 {
		wanted = "wanted AS MATERIALIZED (SELECT j.id FROM jobs j WHERE " +
			strings.Join(conds, " AND ") + "), "
		// As an array (an InitPlan), so the planner looks the few jobs up by key instead
		// of testing every job's schedule against the list.
		eligibleWanted, runWanted = " AND j.id = ANY (ARRAY(SELECT id FROM wanted))", " AND r.job_id = ANY (ARRAY(SELECT id FROM wanted))"
	}
	base := `
		WITH ` + wanted + `eligible AS (` + eligibleJobs + eligibleWanted + `
		), by_schedule AS MATERIALIZED (
			-- One row per distinct schedule: the time zone arithmetic runs once per
			-- schedule (after grouping), not per job, and no join on jsonb.
			SELECT s, schedule_expected_at(s, ?::date, ?) AS expected_at,
			       array_agg(id) AS ids, array_agg(created_at) AS created, array_agg(grace) AS graces
			FROM eligible GROUP BY s
		), expected AS (
			SELECT u.job_id, u.created_at, u.grace, g.s, g.expected_at
			FROM by_schedule g
			CROSS JOIN LATERAL unnest(g.ids, g.created, g.graces) AS u(job_id, created_at, grace)
			WHERE g.expected_at IS NOT NULL
		), day_runs AS (
			-- A slot's runs are those in its window (as for missed runs: from EarlyWindow
			-- before the expected instant to grace, at least EarlyWindow, after it), so a
			-- 22:00 job whose run came at 00:30 counts on its own day.
			SELECT e.job_id, ` + dayRunFigures + `
			FROM expected e
			JOIN job_runs r ON r.job_id = e.job_id
			 AND r.run_at >= e.expected_at - ?::interval
			 AND r.run_at < e.expected_at + greatest(e.grace, ?::interval)
			WHERE r.superseded_at IS NULL
			  AND r.run_at >= ?::timestamptz - ?::interval
			  AND r.run_at < ?::timestamptz + (SELECT greatest(max(grace), ?::interval) FROM eligible)
			GROUP BY e.job_id
		), expected_rows AS (
			SELECT e.job_id, e.s, e.expected_at,
			       coalesce(dr.runs, 0) AS runs, coalesce(dr.recorded, 0) AS recorded,
			       coalesce(dr.overridden, false) AS overridden, coalesce(dr.unreviewed, 0) AS unreviewed,
			       CASE WHEN dr.worst IS NOT NULL THEN dr.worst
			            WHEN ?::timestamptz > e.expected_at + e.grace THEN 'Missed'
			            ELSE 'Expected' END AS status
			FROM expected e
			LEFT JOIN day_runs dr ON dr.job_id = e.job_id
			-- Expected from the job's creation, or from its first run when mails older than
			-- the job were approved later: a backlog shows on its days. (Missed runs are
			-- still recorded from creation only; history is not work.)
			WHERE e.expected_at >= e.created_at
			   OR (SELECT min(r.run_at) FROM job_runs r WHERE r.job_id = e.job_id) < ?::timestamptz
		), unexpected AS (
			-- Jobs with runs on the day that were not expected then (no schedule learned
			-- yet, a day off the schedule): a run is never left off its day.
			SELECT r.job_id, ` + dayRunFigures + `
			FROM job_runs r
			JOIN jobs j ON j.id = r.job_id
			WHERE r.run_at >= ?::timestamptz AND r.run_at < ?::timestamptz AND r.superseded_at IS NULL
			  AND ` + watchedJob + runWanted + `
			  AND r.job_id NOT IN (SELECT job_id FROM expected_rows)
			GROUP BY r.job_id
		), rows AS MATERIALIZED (
			SELECT * FROM (
				SELECT job_id, s, expected_at, runs, recorded, overridden, unreviewed, status FROM expected_rows
				UNION ALL
				SELECT u.job_id, schedule_effective(j.learned_schedule, j.manual_schedule, j.schedule_locked), NULL,
				       u.runs, u.recorded, u.overridden, u.unreviewed, u.worst
				FROM unexpected u JOIN jobs j ON j.id = u.job_id
			) r
		), summary AS (
			SELECT coalesce(jsonb_object_agg(status, n), '{}') AS summary
			FROM (SELECT status, count(*) AS n FROM rows GROUP BY status) x
		)`
	early := interval(EarlyWindow)
	args = append(args, graceMinutes(), d.String(), loc.String(), early, early, dayStart, early, dayEnd, early, now, dayEnd,
		dayStart, dayEnd)

	if f.Page < 1 {
		f.Page = 1
	}
	where, listArgs := "", append([]any{}, args...)
	if f.Status != "" {
		where, listArgs = "WHERE rows.status = ?", append(listArgs, f.Status)
	}
	listArgs = append(listArgs, f.PerPage, (f.Page-1)*f.PerPage)
	var scanned []struct {
		DayRow
		Summary string `bun:"summary"`
	}
	listQuery := idb.NewRaw(base+`
		SELECT rows.job_id, c.id AS customer_id, c.name AS customer_name, j.job_name, j.backup_software, j.backup_type,
		       rows.s AS schedule, rows.expected_at, j.last_run_at, rows.status, rows.runs, rows.recorded,
		       rows.overridden, rows.unreviewed,
		       EXISTS (SELECT 1 FROM ticket_scopes ts JOIN tickets t ON t.id = ts.ticket_id
		               WHERE (ts.job_id = j.id OR ts.customer_id = j.customer_id)
		                 AND coalesce(ts.resolved_at, t.resolved_at) IS NULL) AS ticket,
		       EXISTS (SELECT 1 FROM remark_scopes rs JOIN remarks rm ON rm.id = rs.remark_id
		               WHERE (rs.job_id = j.id OR rs.customer_id = j.customer_id)
		                 AND coalesce(rs.resolved_at, rm.resolved_at) IS NULL) AS remark,
		       (SELECT summary::text FROM summary) AS summary
		FROM rows JOIN jobs j ON j.id = rows.job_id JOIN customers c ON c.id = j.customer_id
		`+where+`
		ORDER BY CASE rows.status WHEN 'Expected' THEN -1 ELSE status_severity(rows.status) END DESC,
		         lower(c.name), lower(j.job_name), rows.job_id
		LIMIT ? OFFSET ?`, listArgs...)
	err := listQuery.Scan(ctx, &scanned)
	if err != nil {
		return nil, nil, fmt.Errorf("schedule: daily jobs for %s: %w", d, err)
	}
	out := make([]DayRow, len(scanned))
	for i, r := range scanned {
		out[i] = r.DayRow
	}
	raw := ""
	if len(scanned) > 0 {
		raw = scanned[0].Summary
	} else if err := idb.NewRaw(base+` SELECT summary::text FROM summary`, args...).Scan(ctx, &raw); err != nil {
		// An empty page (filter or page past the end) still needs the counts.
		return nil, nil, fmt.Errorf("schedule: daily jobs summary for %s: %w", d, err)
	}
	sum := DaySummary{}
	if err := json.Unmarshal([]byte(raw), &sum); err != nil {
		return nil, nil, fmt.Errorf("schedule: daily jobs summary for %s: %w", d, err)
	}
	return out, sum, nil
}

// DayRun is one run of a job on a day (the Daily Jobs dialog).
type DayRun struct {
	ID         int64      `bun:"id"`
	Status     string     `bun:"status"`
	Overridden bool       `bun:"overridden"`
	Source     string     `bun:"source"`
	RunAt      time.Time  `bun:"run_at"`
	MailID     *int64     `bun:"mail_message_id"`
	Message    string     `bun:"message"`
	ReviewedAt *time.Time `bun:"reviewed_at"`
	// InSlot: the run lies in the window of the day's expected run, so it counts for
	// the day's status (Day), even when it came the next calendar day.
	InSlot bool `bun:"in_slot"`
}

// RunsOn returns a job's runs for local date d, oldest first (superseded missed runs
// left out): those of the calendar day and those in the window of the day's expected
// run (the runs Day counts), and that expected run when the job had one that day.
func RunsOn(ctx context.Context, idb bun.IDB, jobID int64, d Date, loc *time.Location) ([]DayRun, *ExpectedRun, error) {
	early := interval(EarlyWindow)
	var slot struct {
		ExpectedAt  *time.Time `bun:"expected_at"`
		MissedAfter *time.Time `bun:"missed_after"`
		WindowStart *time.Time `bun:"window_start"`
		WindowEnd   *time.Time `bun:"window_end"`
	}
	err := idb.NewRaw(`
		SELECT x.at AS expected_at, x.at + x.grace AS missed_after,
		       x.at - ?::interval AS window_start, x.at + greatest(x.grace, ?::interval) AS window_end
		FROM jobs j
		CROSS JOIN LATERAL (SELECT schedule_expected_at(schedule_effective(j.learned_schedule, j.manual_schedule, j.schedule_locked), ?::date, ?) AS at,
		                           coalesce(j.schedule_grace_minutes, ?) * interval '1 minute' AS grace) x
		WHERE j.id = ?`, early, early, d.String(), loc.String(), graceMinutes(), jobID).Scan(ctx, &slot)
	if err != nil {
		return nil, nil, fmt.Errorf("schedule: slot of job %d on %s: %w", jobID, d, db.NotFound(err))
	}
	var out []DayRun
	err = idb.NewRaw(`
		SELECT id, coalesce(overridden_status, status) AS status, overridden_status IS NOT NULL AS overridden,
		       coalesce(source_type, 'email') AS source, run_at, mail_message_id, coalesce(message, '') AS message, reviewed_at,
		       coalesce(run_at >= ?::timestamptz AND run_at < ?::timestamptz, false) AS in_slot
		FROM job_runs
		WHERE job_id = ? AND superseded_at IS NULL
		  AND ((run_at >= ? AND run_at < ?) OR (run_at >= ?::timestamptz AND run_at < ?::timestamptz))
		ORDER BY run_at, id`, slot.WindowStart, slot.WindowEnd, jobID, LocalInstant(d, 0, 0, loc), LocalInstant(d.AddDays(1), 0, 0, loc),
		slot.WindowStart, slot.WindowEnd).Scan(ctx, &out)
	if err != nil {
		return nil, nil, fmt.Errorf("schedule: runs of job %d on %s: %w", jobID, d, err)
	}
	if slot.ExpectedAt == nil {
		return out, nil, nil
	}
	return out, &ExpectedRun{JobID: jobID, ExpectedAt: *slot.ExpectedAt, MissedAfter: *slot.MissedAfter,
		WindowStart: *slot.WindowStart, WindowEnd: *slot.WindowEnd}, nil
}
