package tickets

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// RunObject is an object of a run that a ticket or remark can be scoped to.
type RunObject struct {
	ID   int64  `bun:"id"`
	Name string `bun:"name"`
}

// RunObjects returns the objects of a run, failures first.
func RunObjects(ctx context.Context, idb bun.IDB, runID int64) ([]RunObject, error) {
	var out []RunObject
	err := idb.NewRaw(`SELECT co.id, co.object_name AS name FROM run_object_links l
		JOIN customer_objects co ON co.id = l.customer_object_id
		WHERE l.job_run_id = ? ORDER BY status_severity(l.status) DESC NULLS LAST, lower(co.object_name)`, runID).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("tickets: objects of run %d: %w", runID, err)
	}
	return out, nil
}

// ObjectInRun reports whether object is one of the run's objects.
func ObjectInRun(ctx context.Context, idb bun.IDB, runID, objectID int64) (bool, error) {
	var ok bool
	if err := idb.NewRaw("SELECT EXISTS (SELECT 1 FROM run_object_links WHERE job_run_id = ? AND customer_object_id = ?)",
		runID, objectID).Scan(ctx, &ok); err != nil {
		return false, fmt.Errorf("tickets: object %d of run %d: %w", objectID, runID, err)
	}
	return ok, nil
}
