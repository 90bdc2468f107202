// Package dashboard computes the start page's figures.
package dashboard

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// Figures are the start page's counts.
type Figures struct {
	Customers  int `bun:"customers"`
	Jobs       int `bun:"jobs"`
	InboxMails int `bun:"inbox_mails"`
	Unreviewed int `bun:"unreviewed"`
}

// Load counts active customers and jobs, mails waiting in the Inbox and runs to
// review. The runs figure sums the per-job summary kept on write (DESIGN §6) rather
// than counting job_runs, so it stays cheap at millions of runs.
func Load(ctx context.Context, idb bun.IDB) (Figures, error) {
	var f Figures
	err := idb.NewRaw(`
		SELECT
		  (SELECT count(*) FROM customers WHERE active) AS customers,
		  (SELECT count(*) FROM jobs WHERE active AND archived_at IS NULL) AS jobs,
		  (SELECT count(*) FROM mail_messages WHERE location = 'inbox' AND job_id IS NULL) AS inbox_mails,
		  (SELECT coalesce(sum(unreviewed_count), 0) FROM jobs WHERE archived_at IS NULL) AS unreviewed`).Scan(ctx, &f)
	if err != nil {
		return f, fmt.Errorf("dashboard: load: %w", err)
	}
	return f, nil
}
