// Package detect records the alerts new runs raise, in the transaction that created
// the runs (ingest.RunsCreated and RunsUpdated call Record). It is apart from
// app/notify so that ingest does not depend on the channels (HTTP, mail senders).
//
// Recording in the runs' own transaction is what makes an alert never lost (it
// commits with the run, whatever the source: mail, missed runs, Cove, Cloud Connect)
// and never twice (notify_alerts' key is (rule, run)); the flush job groups and sends
// what is recorded.
package detect

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// Problem is the condition, on job_runs r, of a run that alerts: its effective status
// is one a rule watches (checked by the caller), no override applied to it, it is not
// reviewed or superseded, and no ticket covers it (a linked ticket, a propagated
// Autotask ticket). The flush checks it again, so a run ticketed or overridden while
// its alert waited for its group is left out.
const Problem = `r.overridden_status IS NULL AND r.reviewed_at IS NULL AND r.superseded_at IS NULL
	AND (r.autotask_ticket_id IS NULL OR r.autotask_ticket_deleted_at IS NOT NULL)
	AND NOT EXISTS (SELECT 1 FROM ticket_job_runs tjr JOIN tickets t ON t.id = tjr.ticket_id
	                WHERE tjr.job_run_id = r.id AND t.resolved_at IS NULL)`

// Record adds an alert for every enabled rule that a run of runIDs matches (status,
// customers, jobs); a (rule, run) already recorded is left alone. Call it after the
// overrides were applied and the tickets linked.
func Record(ctx context.Context, tx bun.IDB, runIDs []int64) error {
	if len(runIDs) == 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO notify_alerts (rule_id, run_id)
		SELECT nr.id, r.id
		FROM job_runs r
		JOIN jobs j ON j.id = r.job_id
		JOIN notify_rules nr ON nr.enabled AND r.status = ANY(nr.statuses)
		     AND (cardinality(nr.customer_ids) = 0 OR j.customer_id = ANY(nr.customer_ids))
		     AND (cardinality(nr.job_ids) = 0 OR j.id = ANY(nr.job_ids))
		LEFT JOIN notify_channels c ON c.id = nr.channel_id
		LEFT JOIN users u ON u.id = nr.user_id
		WHERE r.id = ANY(?)
		  AND (c.enabled OR (u.is_active AND btrim(u.email) <> ''))
		  AND `+Problem+`
		ON CONFLICT DO NOTHING`, pgdialect.Array(runIDs))
	if err != nil {
		return fmt.Errorf("notify: record alerts: %w", err)
	}
	return nil
}
