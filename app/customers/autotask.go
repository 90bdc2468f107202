package customers

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/autotask"
	"github.com/backupchecks/backupchecks/db"
)

// Autotask mapping statuses, as checked against Autotask.
const (
	MappingOK      = "ok"      // the company exists, is active and has the mapped name
	MappingRenamed = "renamed" // it exists under another name; map again to accept it
	MappingMissing = "missing" // Autotask no longer has the company
	MappingInvalid = "invalid" // the company is inactive: no tickets can be raised for it
)

// Audit actions of the Autotask mapping.
const (
	ActionAutotaskMapped    = "customer.autotask_mapped"
	ActionAutotaskUnmapped  = "customer.autotask_unmapped"
	ActionAutotaskRefreshed = "customers.autotask_refreshed"
)

// MappingBlocksTickets says whether a customer's mapping cannot carry an Autotask
// ticket, and why, in words an operator can act on. Renamed still works: the id holds.
func MappingBlocksTickets(companyID *int64, status string) string {
	switch {
	case companyID == nil:
		return "the customer is not mapped to an Autotask company (Customers → Autotask)"
	case status == MappingMissing:
		return "the customer's Autotask company no longer exists; map the customer again"
	case status == MappingInvalid:
		return "the customer's Autotask company is inactive; map the customer to an active company"
	}
	return ""
}

// SetMapping maps a customer to an Autotask company as just read from Autotask.
func SetMapping(ctx context.Context, idb bun.IDB, actor audit.Actor, id int64, co autotask.Company, now time.Time) error {
	status := MappingOK
	if !co.IsActive {
		status = MappingInvalid
	}
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old, err := lockMapping(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("customers: map %d to Autotask: %w", id, err)
		}
		if _, err := tx.NewUpdate().Table("customers").
			Set("autotask_company_id = ?", co.ID).Set("autotask_company_name = ?", co.CompanyName).
			Set("autotask_mapping_status = ?", status).Set("autotask_mapping_checked_at = ?", now).
			Set("updated_at = now()").Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("customers: map %d to Autotask: %w", id, err)
		}
		return audit.Record(ctx, tx, actor, ActionAutotaskMapped, fmt.Sprintf("customer:%d", id), map[string]any{
			"customer": old.Name, "company_id": co.ID, "company_name": co.CompanyName, "status": status,
			"previous_company_id": old.CompanyID, "previous_company_name": old.CompanyName,
		})
	})
}

// ClearMapping removes a customer's Autotask mapping.
func ClearMapping(ctx context.Context, idb bun.IDB, actor audit.Actor, id int64) error {
	return idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old, err := lockMapping(ctx, tx, id)
		if err != nil {
			return fmt.Errorf("customers: clear Autotask mapping of %d: %w", id, err)
		}
		if old.CompanyID == nil {
			return nil
		}
		if _, err := tx.NewUpdate().Table("customers").
			Set("autotask_company_id = NULL, autotask_company_name = NULL, autotask_mapping_status = NULL, autotask_mapping_checked_at = NULL").
			Set("updated_at = now()").Where("id = ?", id).Exec(ctx); err != nil {
			return fmt.Errorf("customers: clear Autotask mapping of %d: %w", id, err)
		}
		return audit.Record(ctx, tx, actor, ActionAutotaskUnmapped, fmt.Sprintf("customer:%d", id), map[string]any{
			"customer": old.Name, "company_id": old.CompanyID, "company_name": old.CompanyName,
		})
	})
}

// mapping is a customer's name and Autotask mapping, as audited.
type mapping struct {
	Name        string  `bun:"name"`
	CompanyID   *int64  `bun:"autotask_company_id"`
	CompanyName *string `bun:"autotask_company_name"`
}

// lockMapping reads a customer's mapping and locks the row for the change.
func lockMapping(ctx context.Context, tx bun.Tx, id int64) (mapping, error) {
	var m mapping
	err := tx.NewSelect().Table("customers").Column("name", "autotask_company_id", "autotask_company_name").
		Where("id = ?", id).For("UPDATE").Scan(ctx, &m)
	return m, db.NotFound(err)
}

// RefreshResult counts the mappings a refresh checked, by their new status.
type RefreshResult struct {
	Checked int
	ByState map[string]int
}

// RefreshMappings reads the mapped companies of the given customers (all mapped
// customers when ids is empty) from Autotask in chunks and sets every mapping's status
// in one statement. The stored name stays the one that was mapped, so "renamed" stays
// visible until someone maps the customer again.
func RefreshMappings(ctx context.Context, idb bun.IDB, client *autotask.Client, actor audit.Actor, ids []int64, now time.Time) (RefreshResult, error) {
	res := RefreshResult{ByState: map[string]int{}}
	var companyIDs []int64
	q := idb.NewSelect().Table("customers").ColumnExpr("DISTINCT autotask_company_id").Where("autotask_company_id IS NOT NULL")
	if len(ids) > 0 {
		q = q.Where("id IN (?)", bun.In(ids))
	}
	if err := q.Scan(ctx, &companyIDs); err != nil {
		return res, fmt.Errorf("customers: refresh Autotask mappings: %w", err)
	}
	if len(companyIDs) == 0 {
		return res, nil
	}
	companies, err := autotask.GetByIDs[autotask.Company](ctx, client, "Companies", companyIDs)
	if err != nil {
		return res, fmt.Errorf("customers: refresh Autotask mappings: %w", err)
	}
	found := make([]int64, len(companies))
	names := make([]string, len(companies))
	active := make([]bool, len(companies))
	for i, co := range companies {
		found[i], names[i], active[i] = co.ID, co.CompanyName, co.IsActive
	}
	var rows []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	err = idb.NewRaw(`
		WITH found AS (
			SELECT * FROM unnest(?::bigint[], ?::text[], ?::boolean[]) AS f(id, name, active)
		), updated AS (
			UPDATE customers c SET
				autotask_mapping_status = CASE
					WHEN f.id IS NULL THEN 'missing'
					WHEN NOT f.active THEN 'invalid'
					WHEN f.name IS DISTINCT FROM c.autotask_company_name THEN 'renamed'
					ELSE 'ok' END,
				autotask_mapping_checked_at = ?
			FROM customers c2 LEFT JOIN found f ON f.id = c2.autotask_company_id
			WHERE c.id = c2.id AND c2.autotask_company_id IS NOT NULL AND (COALESCE(cardinality(?::bigint[]), 0) = 0 OR c2.id = ANY(?::bigint[]))
			RETURNING c.autotask_mapping_status AS status
		)
		SELECT status, count(*) AS n FROM updated GROUP BY status`,
		pgdialect.Array(found), pgdialect.Array(names), pgdialect.Array(active), now, pgdialect.Array(ids), pgdialect.Array(ids)).Scan(ctx, &rows)
	if err != nil {
		return res, fmt.Errorf("customers: refresh Autotask mappings: %w", err)
	}
	for _, r := range rows {
		res.ByState[r.Status] = r.N
		res.Checked += r.N
	}
	details := map[string]any{"checked": res.Checked, "statuses": res.ByState}
	if len(ids) > 0 {
		details["customer_ids"] = ids
	}
	if err := audit.Record(ctx, idb, actor, ActionAutotaskRefreshed, "customers", details); err != nil {
		return res, err
	}
	return res, nil
}
