// Package customers holds the MSP's customers: lookup, type-ahead search and creation.
package customers

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Search returns up to limit active customers whose name contains q (case-insensitive),
// names starting with q first. The trigram index serves the substring match.
func Search(ctx context.Context, idb bun.IDB, q string, limit int) ([]db.Customer, error) {
	q = strings.TrimSpace(q)
	var out []db.Customer
	sel := idb.NewSelect().Model(&out).Where("active").Limit(int64(limit))
	if q != "" {
		sel = sel.Where("name ILIKE ?", "%"+escapeLike(q)+"%").
			OrderExpr("lower(name) LIKE ? DESC", strings.ToLower(escapeLike(q))+"%")
	}
	if err := sel.OrderExpr("lower(name)").Scan(ctx); err != nil {
		return nil, fmt.Errorf("customers: search %q: %w", q, err)
	}
	return out, nil
}

// Get loads one customer.
func Get(ctx context.Context, idb bun.IDB, id int64) (*db.Customer, error) {
	c := new(db.Customer)
	if err := idb.NewSelect().Model(c).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("customers: get %d: %w", id, db.NotFound(err))
	}
	return c, nil
}

// ValidateName returns a user-facing message when name cannot be a customer name.
func ValidateName(name string) string {
	switch n := strings.TrimSpace(name); {
	case n == "":
		return "enter the customer's name"
	case len(n) > 200:
		return "use at most 200 characters"
	}
	return ""
}

// Create adds an active customer. A name already in use (in any case) is a field error.
func Create(ctx context.Context, idb bun.IDB, actor audit.Actor, name string) (*db.Customer, error) {
	name = strings.TrimSpace(name)
	if msg := ValidateName(name); msg != "" {
		return nil, validation.Errors{"customer_name": msg}
	}
	c := &db.Customer{Name: name, Active: true}
	res, err := idb.NewInsert().Model(c).ExcludeColumn("id", "created_at", "updated_at").
		On("CONFLICT ((lower(name))) DO NOTHING").Returning("id, created_at, updated_at").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("customers: create %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, validation.Errors{"customer_name": fmt.Sprintf("a customer named %q already exists: pick it from the list", name)}
	}
	if err := audit.Record(ctx, idb, actor, "customer.created", "customer:"+name, nil); err != nil {
		return nil, err
	}
	return c, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
