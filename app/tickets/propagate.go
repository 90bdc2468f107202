// Package tickets holds ticket and remark scoping and propagation rules.
package tickets

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// LinkOpenToRuns links every unresolved ticket and remark that covers the runs' jobs —
// by job scope, by the job's customer, or by an object in the run — to those new runs.
// Link-based, no date logic: a scope is open while
// COALESCE(scope.resolved_at, ticket.resolved_at) IS NULL. Set-based; call it in the
// transaction that creates the runs.
func LinkOpenToRuns(ctx context.Context, idb bun.IDB, runIDs []int64) error {
	if len(runIDs) == 0 {
		return nil
	}
	for _, q := range []struct{ item, scopes, links, key string }{
		{"ticket", "ticket_scopes", "ticket_job_runs", "ticket_id"},
		{"remark", "remark_scopes", "remark_job_runs", "remark_id"},
	} {
		// The table names come from the constant list above, never from input.
		query := fmt.Sprintf(`
			INSERT INTO %[3]s (%[4]s, job_run_id)
			SELECT DISTINCT s.%[4]s, r.id
			FROM job_runs r
			JOIN jobs j ON j.id = r.job_id
			JOIN %[2]s s ON (s.scope_type = 'job' AND s.job_id = r.job_id)
			            OR (s.scope_type = 'customer' AND s.customer_id = j.customer_id)
			            OR (s.scope_type = 'object' AND s.customer_object_id IN (
			                  SELECT rol.customer_object_id FROM run_object_links rol WHERE rol.job_run_id = r.id))
			JOIN %[1]ss t ON t.id = s.%[4]s
			WHERE r.id IN (?)
			  AND COALESCE(s.resolved_at, t.resolved_at) IS NULL
			ON CONFLICT DO NOTHING`, q.item, q.scopes, q.links, q.key)
		if _, err := idb.ExecContext(ctx, query, bun.In(runIDs)); err != nil {
			return fmt.Errorf("tickets: link open %ss to runs: %w", q.item, err)
		}
	}
	// Autotask (strategy 2): a new run carries its job's most recent Autotask ticket
	// that still exists in the PSA and whose internal ticket is open.
	if _, err := idb.ExecContext(ctx, `
		UPDATE job_runs r SET autotask_ticket_id = s.autotask_ticket_id, autotask_ticket_number = s.autotask_ticket_number,
			autotask_ticket_created_at = s.autotask_ticket_created_at, autotask_ticket_created_by = s.autotask_ticket_created_by
		FROM job_runs n CROSS JOIN LATERAL (
			SELECT p.autotask_ticket_id, p.autotask_ticket_number, p.autotask_ticket_created_at, p.autotask_ticket_created_by
			FROM job_runs p JOIN tickets t ON t.autotask_ticket_id = p.autotask_ticket_id
			WHERE p.job_id = n.job_id AND p.id <> n.id AND p.autotask_ticket_id IS NOT NULL
			  AND p.autotask_ticket_deleted_at IS NULL AND t.resolved_at IS NULL
			ORDER BY p.run_at DESC LIMIT 1) s
		WHERE r.id = n.id AND n.id IN (?) AND n.autotask_ticket_id IS NULL`, bun.In(runIDs)); err != nil {
		return fmt.Errorf("tickets: carry Autotask tickets to runs: %w", err)
	}
	return nil
}
