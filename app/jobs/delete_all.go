package jobs

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/live"
)

// DeletedAll counts what deleting every job removed or changed.
type DeletedAll struct {
	Jobs                  int64
	Runs                  int64
	MailsToInbox          int64
	CloudConnectUnlinked  int64
	CoveUnlinked          int64 // jobs that were linked to a Cove account
	ReviewEvents          int64
	TicketAndRemarkLinks  int64
	ObjectLinks           int64 // of jobs and of runs
	TicketAndRemarkScopes int64
	ObjectLevelOverrides  int64
	MatchRules            int64
}

// deleteJobs removes the jobs matching cond (a condition on jobs, with args), or
// every job, and everything that hangs off them, set-based, in foreign-key order:
// Cloud Connect tenants are unlinked and mails returned to the Inbox; then the runs'
// ticket and remark links, review events and object results; the jobs' object links,
// ticket and remark scopes, object-level overrides and match rules; the runs; the jobs
// (their Cove link is a column of the job and goes with it). Every step is spelled out
// rather than left to ON DELETE, so the order holds whatever the keys say.
//
// For every job, the tables of runs and what hangs off runs alone are emptied with one
// TRUNCATE after counting them: deleting 6 million runs row by row took over a minute
// at the target scale (each row's foreign keys checked), emptying them takes moments.
func deleteJobs(ctx context.Context, tx bun.Tx, every bool, cond string, args ...any) (DeletedAll, error) {
	var n DeletedAll
	if every {
		cond, args = "true", nil
	}
	jobs := "(SELECT id FROM jobs WHERE " + cond + ")"
	runs := "(SELECT id FROM job_runs WHERE job_id IN " + jobs + ")"
	type step struct {
		what  string
		query string
		count *int64
	}
	before := []step{
		{"unlink Cloud Connect tenants", "UPDATE cloud_connect_accounts SET job_id = NULL, updated_at = now() WHERE job_id IN " + jobs, &n.CloudConnectUnlinked},
		{"return mails to the Inbox", "UPDATE mail_messages SET job_id = NULL, location = 'inbox', updated_at = now() WHERE job_id IN " + jobs, &n.MailsToInbox},
	}
	runSteps := []step{
		{"delete ticket links", "DELETE FROM ticket_job_runs WHERE job_run_id IN " + runs, &n.TicketAndRemarkLinks},
		{"delete remark links", "DELETE FROM remark_job_runs WHERE job_run_id IN " + runs, &n.TicketAndRemarkLinks},
		{"delete review events", "DELETE FROM job_run_review_events WHERE job_run_id IN " + runs, &n.ReviewEvents},
		{"delete run objects", "DELETE FROM run_object_links WHERE job_run_id IN " + runs, &n.ObjectLinks},
	}
	after := []step{
		{"delete job objects", "DELETE FROM job_object_links WHERE job_id IN " + jobs, &n.ObjectLinks},
		{"delete ticket scopes", "DELETE FROM ticket_scopes WHERE job_id IN " + jobs, &n.TicketAndRemarkScopes},
		{"delete remark scopes", "DELETE FROM remark_scopes WHERE job_id IN " + jobs, &n.TicketAndRemarkScopes},
		{"delete overrides", "DELETE FROM overrides WHERE job_id IN " + jobs, &n.ObjectLevelOverrides},
		{"delete match rules", "DELETE FROM job_match_rules WHERE job_id IN " + jobs, &n.MatchRules},
		{"delete runs", "DELETE FROM job_runs WHERE job_id IN " + jobs, &n.Runs},
		{"delete jobs", "DELETE FROM jobs WHERE " + cond, &n.Jobs},
	}
	exec := func(steps []step) error {
		for _, s := range steps {
			res, err := tx.ExecContext(ctx, s.query, args...)
			if err != nil {
				return fmt.Errorf("%s: %w", s.what, err)
			}
			k, _ := res.RowsAffected()
			*s.count += k
		}
		return nil
	}
	if err := tx.NewRaw("SELECT count(*) FROM jobs WHERE ("+cond+") AND cove_account_id IS NOT NULL", args...).Scan(ctx, &n.CoveUnlinked); err != nil {
		return n, fmt.Errorf("count Cove links: %w", err)
	}
	if err := exec(before); err != nil {
		return n, err
	}
	if !every {
		if err := exec(runSteps); err != nil {
			return n, err
		}
		return n, exec(after)
	}
	var links, remarkLinks, events, objects int64
	if err := tx.NewRaw(`SELECT (SELECT count(*) FROM ticket_job_runs), (SELECT count(*) FROM remark_job_runs),
		(SELECT count(*) FROM job_run_review_events), (SELECT count(*) FROM run_object_links), (SELECT count(*) FROM job_runs)`).
		Scan(ctx, &links, &remarkLinks, &events, &objects, &n.Runs); err != nil {
		return n, fmt.Errorf("count runs: %w", err)
	}
	n.TicketAndRemarkLinks, n.ReviewEvents, n.ObjectLinks = links+remarkLinks, events, objects
	if _, err := tx.ExecContext(ctx, "TRUNCATE ticket_job_runs, remark_job_runs, job_run_review_events, run_object_links, notify_alerts, job_runs"); err != nil {
		return n, fmt.Errorf("delete runs: %w", err)
	}
	runsCount := n.Runs
	if err := exec(after); err != nil {
		return n, err
	}
	n.Runs = runsCount // the DELETE of runs found none left
	return n, nil
}

// DeleteAll deletes every job (archived ones too) with its history in one
// transaction (deleteJobs): every mail of a job goes back to the Inbox, Cloud Connect
// tenants and Cove accounts stay, unlinked. Customers, tickets, remarks and global
// overrides stay. Audited with the counts.
func DeleteAll(ctx context.Context, bdb *bun.DB, actor audit.Actor) (DeletedAll, error) {
	var n DeletedAll
	err := bdb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// No job may be added (an approval, an import) while they are being deleted.
		if _, err := tx.ExecContext(ctx, "LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return err
		}
		var err error
		if n, err = deleteJobs(ctx, tx, true, ""); err != nil {
			return err
		}
		for _, topic := range []string{live.TopicInbox, live.TopicRuns} {
			if err := live.Notify(ctx, tx, live.Event{Topic: topic}); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, "jobs.deleted_all", "", map[string]any{
			"jobs": n.Jobs, "runs": n.Runs, "mails_to_inbox": n.MailsToInbox,
			"cloud_connect_unlinked": n.CloudConnectUnlinked, "cove_unlinked": n.CoveUnlinked})
	})
	if err != nil {
		return DeletedAll{}, fmt.Errorf("jobs: delete all: %w", err)
	}
	return n, nil
}

// CountAll counts every job, archived ones too (what DeleteAll would delete).
func CountAll(ctx context.Context, idb bun.IDB) (int, error) {
	var n int
	if err := idb.NewRaw("SELECT count(*) FROM jobs").Scan(ctx, &n); err != nil {
		return 0, fmt.Errorf("jobs: count: %w", err)
	}
	return n, nil
}
