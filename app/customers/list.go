package customers

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/search/terms"
	"github.com/backupchecks/backupchecks/db"
)

// Row is one customer in the Customers list, with the number of its jobs the Jobs list
// shows for it and of all its jobs.
type Row struct {
	ID       int64  `bun:"id"`
	Name     string `bun:"name"`
	Active   bool   `bun:"active"`
	JobCount int    `bun:"job_count"` // as listed on /jobs?customer_id= (jobs.Listed)
	AllJobs  int    `bun:"all_jobs"`  // archived ones too: any job keeps the customer from deletion

	AutotaskCompanyID   *int64  `bun:"autotask_company_id"`
	AutotaskCompanyName *string `bun:"autotask_company_name"`
	AutotaskStatus      *string `bun:"autotask_mapping_status"`
}

// rowColumns are the columns of a Row (customers AS c joined to jobCounts).
const rowColumns = "c.id, c.name, c.active, jc.job_count, jc.all_jobs, c.autotask_company_id, c.autotask_company_name, c.autotask_mapping_status"

// SearchColumns are what a Customers search (the page's q and the global search)
// looks in: customers c.
var SearchColumns = []string{"c.name"}

// Filter selects one page of the Customers list.
type Filter struct {
	Query           string // search terms (app/search/terms) over SearchColumns
	IncludeInactive bool
	Page            int // 1-based
	PerPage         int
}

// Page is one page of customers, sorted by name, and how many match in all.
type Page struct {
	Rows  []Row
	Total int
}

// jobCounts joins each customer (alias c) to its job counts: one index lookup
// (jobs_customer_id_idx) per customer on the page, never a query per row.
const jobCounts = `LEFT JOIN LATERAL (SELECT count(*) FILTER (WHERE ` + jobs.Listed + `) AS job_count,
	count(*) AS all_jobs FROM jobs j WHERE j.customer_id = c.id) AS jc ON true`

// List returns one page of customers sorted by name, each with its job count.
func List(ctx context.Context, idb bun.IDB, f Filter) (Page, error) {
	if f.Page < 1 {
		f.Page = 1
	}
	if f.PerPage < 1 {
		f.PerPage = 50
	}
	q := idb.NewSelect().TableExpr("customers AS c")
	if !f.IncludeInactive {
		q = q.Where("c.active")
	}
	if cond, args := terms.Parse(f.Query).Where(SearchColumns...); cond != "" {
		q = q.Where(cond, args...)
	}
	var p Page
	n, err := q.Count(ctx)
	if err != nil {
		return p, fmt.Errorf("customers: count: %w", err)
	}
	p.Total = int(n)
	err = q.ColumnExpr(rowColumns).Join(jobCounts).
		OrderExpr("lower(c.name), c.id").Limit(int64(f.PerPage)).Offset(int64((f.Page-1)*f.PerPage)).Scan(ctx, &p.Rows)
	if err != nil {
		return p, fmt.Errorf("customers: list: %w", err)
	}
	return p, nil
}

// GetRow returns one customer as a Row of the list.
func GetRow(ctx context.Context, idb bun.IDB, id int64) (Row, error) {
	var r Row
	err := idb.NewSelect().TableExpr("customers AS c").ColumnExpr(rowColumns).
		Join(jobCounts).Where("c.id = ?", id).Scan(ctx, &r)
	if err != nil {
		return r, fmt.Errorf("customers: get %d: %w", id, db.NotFound(err))
	}
	return r, nil
}
