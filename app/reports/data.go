package reports

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/backupchecks/backupchecks/db"
)

// Scope is what a report covers: which customers and jobs, over which days.
type Scope struct {
	AllCustomers bool
	CustomerIDs  []int64
	Software     []string // backup software; empty = any
	Types        []string // backup types; empty = any
	Range        Range
	Loc          *time.Location
	// MaxFailures caps the failures listed per customer (0 = DefaultMaxFailures).
	MaxFailures int
}

// DefaultMaxFailures is how many failures a customer's report lists at most; the rest
// are counted ("and 40 more").
const DefaultMaxFailures = 200

// Customer is a customer a report is about.
type Customer struct {
	ID   int64
	Name string
}

// Report is one customer's report: the figures the preview, the PDF and the mail show.
type Report struct {
	Customer Customer
	Range    Range
	Days     []Day
	KPI      Counts
	Jobs     []JobRow
	Trend    []TrendPoint
	Failures []Failure
	// FailuresTotal counts every failure of the period; Failures holds the latest ones.
	FailuresTotal int
}

// Counts are the runs of a job, a day or a customer by effective status.
type Counts struct {
	Runs       int
	Successful int // successes, overridden runs included
	Overridden int // runs counted as successful by an override or "Mark as success"
	Warnings   int
	Failed     int
	Missed     int
	Info       int
}

func (c *Counts) add(o Counts) {
	c.Runs += o.Runs
	c.Successful += o.Successful
	c.Overridden += o.Overridden
	c.Warnings += o.Warnings
	c.Failed += o.Failed
	c.Missed += o.Missed
	c.Info += o.Info
}

// Rated is the number of runs a success rate is over (informational runs never count).
func (c Counts) Rated() int { return c.Runs - c.Info }

// SuccessRate is the share of rated runs that succeeded, in percent; -1 when there
// were none.
func (c Counts) SuccessRate() float64 {
	if c.Rated() <= 0 {
		return -1
	}
	return float64(c.Successful) * 100 / float64(c.Rated())
}

// JobRow is one job's line of the per-job table and its row of the grid.
type JobRow struct {
	ID          int64
	Name        string
	Software    string
	Type        string
	Schedule    string
	Counts      Counts
	LastFailure *time.Time
	OpenTickets int
	Cells       []Cell // one per day of the range
}

// Cell is one job on one day: its worst effective status ("" when it did not run),
// and whether an override made a run of it count as successful.
type Cell struct {
	Status     string
	Runs       int
	Overridden bool
}

// TrendPoint is one day of the success-rate trend.
type TrendPoint struct {
	Day    Day
	Counts Counts
}

// Failure is a failed, missed or warning run with what was done about it.
type Failure struct {
	RunID   int64
	JobName string
	At      time.Time
	Status  string
	Message string
	Tickets []string
	Remarks []string
}

// jobFilter narrows jobs (alias j) by scope's software and type filters.
func jobFilter(q *bun.SelectQuery, s Scope) *bun.SelectQuery {
	if len(s.Software) > 0 {
		q = q.Where("j.backup_software IN (?)", bun.In(s.Software))
	}
	if len(s.Types) > 0 {
		q = q.Where("j.backup_type IN (?)", bun.In(s.Types))
	}
	return q
}

// Customers lists the customers scope covers, by name. "All customers" means the
// active customers that have a job passing the filters.
func Customers(ctx context.Context, idb bun.IDB, s Scope) ([]Customer, error) {
	var out []Customer
	q := idb.NewSelect().TableExpr("customers AS c").ColumnExpr("c.id, c.name").OrderExpr("lower(c.name), c.id")
	if s.AllCustomers {
		jobs := jobFilter(idb.NewSelect().TableExpr("jobs AS j").ColumnExpr("1").Where("j.customer_id = c.id").
			Where("j.archived_at IS NULL OR j.archived_at >= ?", s.Range.Start(s.loc())), s)
		q = q.Where("c.active").Where("EXISTS (?)", jobs)
	} else {
		q = q.Where("c.id IN (?)", bun.In(nonEmpty(s.CustomerIDs)))
	}
	if err := q.Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("reports: customers: %w", err)
	}
	return out, nil
}

func nonEmpty(ids []int64) []int64 {
	if len(ids) == 0 {
		return []int64{0}
	}
	return ids
}

func (s Scope) loc() *time.Location {
	if s.Loc == nil {
		return time.UTC
	}
	return s.Loc
}

// effective is a run's status after overrides.
const effective = "coalesce(r.overridden_status, r.status)"

// countColumns aggregate runs (alias r) by effective status; an override that turned a
// run into a success is counted as successful and as overridden.
const countColumns = `count(*) AS runs,
	count(*) FILTER (WHERE ` + effective + ` = 'Success') AS successful,
	count(*) FILTER (WHERE ` + effective + ` = 'Success' AND r.status <> 'Success') AS overridden,
	count(*) FILTER (WHERE ` + effective + ` = 'Warning') AS warnings,
	count(*) FILTER (WHERE ` + effective + ` = 'Failed') AS failed,
	count(*) FILTER (WHERE ` + effective + ` = 'Missed') AS missed,
	count(*) FILTER (WHERE ` + effective + ` = 'Info') AS info`

// Build computes the reports of customers (from Customers) for scope: a few set-based
// queries for all of them together (jobs, job × day aggregates, failures), never a
// query per job or a row per run beyond the failures printed.
func Build(ctx context.Context, idb bun.IDB, s Scope, customers []Customer) ([]Report, error) {
	if len(customers) == 0 {
		return nil, nil
	}
	loc := s.loc()
	start, end := s.Range.Start(loc), s.Range.End(loc)
	days := s.Range.EachDay()
	dayIndex := make(map[Day]int, len(days))
	for i, d := range days {
		dayIndex[d] = i
	}
	ids := make([]int64, len(customers))
	byCustomer := make(map[int64]*Report, len(customers))
	reports := make([]Report, len(customers))
	for i, c := range customers {
		ids[i] = c.ID
		reports[i] = Report{Customer: c, Range: s.Range, Days: days, Trend: make([]TrendPoint, len(days))}
		for k, d := range days {
			reports[i].Trend[k].Day = d
		}
		byCustomer[c.ID] = &reports[i]
	}

	// Jobs of the customers, with their schedule and open tickets.
	var jobs []struct {
		ID          int64
		CustomerID  int64
		JobName     string
		Software    string
		Type        string
		Schedule    *db.Schedule
		OpenTickets int
	}
	jq := jobFilter(idb.NewSelect().TableExpr("jobs AS j").
		ColumnExpr("j.id, j.customer_id, j.job_name, j.backup_software AS software, j.backup_type AS type").
		ColumnExpr("CASE WHEN j.informational THEN NULL ELSE schedule_effective(j.learned_schedule, j.manual_schedule, j.schedule_locked) END AS schedule").
		ColumnExpr(`(SELECT count(DISTINCT ts.ticket_id) FROM ticket_scopes ts JOIN tickets t ON t.id = ts.ticket_id
			WHERE coalesce(ts.resolved_at, t.resolved_at) IS NULL AND (ts.job_id = j.id OR ts.customer_id = j.customer_id)) AS open_tickets`).
		Where("j.customer_id IN (?)", bun.In(ids)).
		Where("j.archived_at IS NULL OR j.archived_at >= ?", start).
		OrderExpr("j.customer_id, lower(j.job_name), j.id"), s)
	if err := jq.Scan(ctx, &jobs); err != nil {
		return nil, fmt.Errorf("reports: jobs: %w", err)
	}
	jobRow := make(map[int64]*JobRow, len(jobs))
	jobIDs := make([]int64, 0, len(jobs))
	for _, j := range jobs {
		r := byCustomer[j.CustomerID]
		r.Jobs = append(r.Jobs, JobRow{ID: j.ID, Name: j.JobName, Software: j.Software, Type: j.Type,
			Schedule: describeSchedule(j.Schedule), OpenTickets: j.OpenTickets, Cells: make([]Cell, len(days))})
		jobIDs = append(jobIDs, j.ID)
	}
	// Pointers only after the slices stop growing.
	for i := range reports {
		for k := range reports[i].Jobs {
			jobRow[reports[i].Jobs[k].ID] = &reports[i].Jobs[k]
		}
	}
	if len(jobIDs) == 0 {
		return reports, nil
	}
	jobArray := pgdialect.Array(jobIDs)

	// One row per job and local day with runs.
	var cells []struct {
		JobID      int64
		Day        time.Time
		Worst      string
		LastFailed *time.Time
		Counts
	}
	err := idb.NewRaw(`
		SELECT r.job_id, (r.run_at AT TIME ZONE ?)::date AS day, `+countColumns+`,
		       (array_agg(`+effective+` ORDER BY status_severity(`+effective+`) DESC))[1] AS worst,
		       max(r.run_at) FILTER (WHERE `+effective+` IN ('Failed', 'Missed')) AS last_failed
		FROM job_runs r
		WHERE r.job_id = ANY(?) AND r.run_at >= ? AND r.run_at < ? AND r.superseded_at IS NULL
		GROUP BY 1, 2`, loc.String(), jobArray, start, end).Scan(ctx, &cells)
	if err != nil {
		return nil, fmt.Errorf("reports: runs by job and day: %w", err)
	}
	customerOf := make(map[int64]int64, len(jobs))
	for _, j := range jobs {
		customerOf[j.ID] = j.CustomerID
	}
	for _, c := range cells {
		jr, rep := jobRow[c.JobID], byCustomer[customerOf[c.JobID]]
		k, ok := dayIndex[DayOf(c.Day)]
		if jr == nil || !ok {
			continue
		}
		jr.Cells[k] = Cell{Status: c.Worst, Runs: c.Runs, Overridden: c.Overridden > 0}
		jr.Counts.add(c.Counts)
		rep.Trend[k].Counts.add(c.Counts)
		rep.KPI.add(c.Counts)
		if c.LastFailed != nil && (jr.LastFailure == nil || c.LastFailed.After(*jr.LastFailure)) {
			jr.LastFailure = c.LastFailed
		}
	}

	// The latest failures of each customer, with their tickets and remarks.
	maxFailures := s.MaxFailures
	if maxFailures <= 0 {
		maxFailures = DefaultMaxFailures
	}
	var failures []struct {
		ID         int64
		CustomerID int64
		JobName    string
		RunAt      time.Time
		Status     string
		Message    string
		Total      int
		Tickets    []string `bun:",array"`
		Remarks    []string `bun:",array"`
	}
	err = idb.NewRaw(`
		SELECT f.id, f.customer_id, f.job_name, f.run_at, f.status, f.message, f.total,
		       array(SELECT t.ticket_code FROM ticket_job_runs tjr JOIN tickets t ON t.id = tjr.ticket_id
		             WHERE tjr.job_run_id = f.id ORDER BY t.ticket_code)
		       || CASE WHEN f.autotask_ticket_number IS NOT NULL THEN ARRAY[f.autotask_ticket_number] ELSE '{}'::text[] END AS tickets,
		       array(SELECT rm.body FROM remark_job_runs rjr JOIN remarks rm ON rm.id = rjr.remark_id
		             WHERE rjr.job_run_id = f.id ORDER BY rm.id)
		       || CASE WHEN coalesce(f.remark, '') <> '' THEN ARRAY[f.remark] ELSE '{}'::text[] END AS remarks
		FROM (
			SELECT r.id, j.customer_id, j.job_name, r.run_at, `+effective+` AS status, coalesce(r.message, '') AS message,
			       r.remark, r.autotask_ticket_number,
			       row_number() OVER (PARTITION BY j.customer_id ORDER BY r.run_at DESC, r.id DESC) AS n,
			       count(*) OVER (PARTITION BY j.customer_id) AS total
			FROM job_runs r JOIN jobs j ON j.id = r.job_id
			WHERE r.job_id = ANY(?) AND r.run_at >= ? AND r.run_at < ? AND r.superseded_at IS NULL
			  AND `+effective+` IN ('Failed', 'Missed', 'Warning')
		) f
		WHERE f.n <= ?
		ORDER BY f.customer_id, f.run_at DESC, f.id DESC`, jobArray, start, end, maxFailures).Scan(ctx, &failures)
	if err != nil {
		return nil, fmt.Errorf("reports: failures: %w", err)
	}
	for _, f := range failures {
		rep := byCustomer[f.CustomerID]
		rep.FailuresTotal = f.Total
		rep.Failures = append(rep.Failures, Failure{RunID: f.ID, JobName: f.JobName, At: f.RunAt, Status: f.Status,
			Message: f.Message, Tickets: slices.Compact(f.Tickets), Remarks: f.Remarks})
	}
	return reports, nil
}

func describeSchedule(s *db.Schedule) string {
	if s == nil {
		return "—"
	}
	return s.Describe()
}
