// Package dashboard computes the start page's figures.
package dashboard

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/review"
)

// Figures are the start page's counts.
type Figures struct {
	Customers  int `bun:"customers"`
	Jobs       int `bun:"jobs"`
	InboxMails int `bun:"inbox_mails"`
	Unreviewed int `bun:"-"` // runs waiting in Run Checks
	ReviewJobs int `bun:"-"` // the jobs those runs belong to
}

// Load counts active customers, the jobs the Jobs list shows, mails waiting in the
// Inbox and runs to review. Runs to review are Run Checks' own figure (review.ToReview), read from the
// per-job summary kept on write (docs/architecture.md §6), so the two never disagree and it stays
// cheap at millions of runs.
func Load(ctx context.Context, idb bun.IDB) (Figures, error) {
	var f Figures
	err := idb.NewRaw(`
		SELECT
		  (SELECT count(*) FROM customers WHERE active) AS customers,
		  (SELECT count(*) FROM jobs j WHERE `+jobs.Listed+`
		     AND j.customer_id NOT IN (SELECT id FROM customers WHERE NOT active)) AS jobs,
		  (SELECT count(*) FROM mail_messages WHERE location = 'inbox' AND job_id IS NULL) AS inbox_mails`).Scan(ctx, &f)
	if err != nil {
		return f, fmt.Errorf("dashboard: load: %w", err)
	}
	if f.Unreviewed, f.ReviewJobs, err = review.ToReview(ctx, idb); err != nil {
		return f, fmt.Errorf("dashboard: load: %w", err)
	}
	return f, nil
}

// CustomerStatus is a customer's worst unreviewed status (from the job summaries).
type CustomerStatus struct {
	CustomerID int64  `bun:"customer_id"`
	Name       string `bun:"name"`
	Worst      string `bun:"worst"`
	Unreviewed int    `bun:"unreviewed"`
}

// WorstCustomers returns up to limit customers with runs in the Run Checks queue,
// worst first.
func WorstCustomers(ctx context.Context, idb bun.IDB, limit int) ([]CustomerStatus, error) {
	var out []CustomerStatus
	err := idb.NewRaw(`
		SELECT c.id AS customer_id, c.name,
		       (array_agg(j.worst_unreviewed_status ORDER BY status_severity(j.worst_unreviewed_status) DESC))[1] AS worst,
		       sum(j.unreviewed_count) AS unreviewed
		FROM jobs j JOIN customers c ON c.id = j.customer_id
		WHERE j.unreviewed_count > 0 AND `+review.QueueJobs+`
		GROUP BY c.id, c.name
		ORDER BY max(status_severity(j.worst_unreviewed_status)) DESC, sum(j.unreviewed_count) DESC, lower(c.name)
		LIMIT ?`, limit).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("dashboard: worst customers: %w", err)
	}
	return out, nil
}
