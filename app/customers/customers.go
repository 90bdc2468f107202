// Package customers holds the MSP's customers: lookup, type-ahead search, the Customers
// list with job counts, creation, editing, deletion and CSV import and export.
package customers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
)

// Audit actions of this package.
const (
	ActionCreated  = "customer.created"
	ActionUpdated  = "customer.updated"
	ActionDeleted  = "customer.deleted"
	ActionImported = "customers.imported"
)

// MaxNameLength is the longest customer name, in characters.
const MaxNameLength = 200

// Search returns up to limit active customers whose name contains q (case-insensitive),
// names starting with q first. The trigram index serves the substring match.
func Search(ctx context.Context, idb bun.IDB, q string, limit int) ([]db.Customer, error) {
	q = strings.TrimSpace(q)
	var out []db.Customer
	sel := idb.NewSelect().Model(&out).Where("active").Limit(int64(limit))
	if q != "" {
		sel = sel.Where("name ILIKE ?", db.LikeContains(q)).
			OrderExpr("lower(name) LIKE ? DESC", strings.ToLower(db.EscapeLike(q))+"%")
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
	case utf8.RuneCountInString(n) > MaxNameLength:
		return fmt.Sprintf("use at most %d characters", MaxNameLength)
	}
	return ""
}

// Create adds an active customer. A name already in use (in any case) is a field error.
func Create(ctx context.Context, idb bun.IDB, actor audit.Actor, name string) (*db.Customer, error) {
	return Add(ctx, idb, actor, name, true)
}

// Add adds a customer, active or not. Field errors (blank, too long, a name already in
// use in any case) are validation.Errors on "customer_name".
func Add(ctx context.Context, idb bun.IDB, actor audit.Actor, name string, active bool) (*db.Customer, error) {
	name = strings.TrimSpace(name)
	if msg := ValidateName(name); msg != "" {
		return nil, validation.Errors{"customer_name": msg}
	}
	c := &db.Customer{Name: name, Active: active}
	res, err := idb.NewInsert().Model(c).ExcludeColumn("id", "created_at", "updated_at").
		On("CONFLICT ((lower(name))) DO NOTHING").Returning("id, created_at, updated_at").Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("customers: create %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, validation.Errors{"customer_name": fmt.Sprintf("a customer named %q already exists: pick it from the list", name)}
	}
	if err := audit.Record(ctx, idb, actor, ActionCreated, "customer:"+name, map[string]any{"active": active}); err != nil {
		return nil, err
	}
	return c, nil
}

// Update renames a customer and sets its active flag, recording the changes (old →
// new) in the audit log. Field errors are validation.Errors on "name"; a name another
// customer has (in any case) is one. An unknown id is db.ErrNotFound.
func Update(ctx context.Context, idb bun.IDB, actor audit.Actor, id int64, name string, active bool) (*db.Customer, error) {
	name = strings.TrimSpace(name)
	var out *db.Customer
	err := idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		old := new(db.Customer)
		if err := tx.NewSelect().Model(old).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
			return db.NotFound(err)
		}
		if msg := ValidateName(name); msg != "" {
			return validation.Errors{"name": msg}
		}
		var other string
		err := tx.NewSelect().Model((*db.Customer)(nil)).Column("name").
			Where("lower(name) = lower(?) AND id <> ?", name, id).Scan(ctx, &other)
		if err == nil {
			return validation.Errors{"name": fmt.Sprintf("another customer is already named %q", other)}
		} else if !errors.Is(db.NotFound(err), db.ErrNotFound) {
			return err
		}
		changes := audit.Changes{}
		changes.Add("name", old.Name, name)
		changes.Add("active", old.Active, active)
		out = &db.Customer{ID: old.ID, Name: name, Active: active, CreatedAt: old.CreatedAt, UpdatedAt: old.UpdatedAt}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.NewUpdate().Model(out).Column("name", "active").Set("updated_at = now()").WherePK().
			Returning("updated_at").Scan(ctx); err != nil {
			if isUniqueViolation(err) { // renamed concurrently to the same name
				return validation.Errors{"name": fmt.Sprintf("another customer is already named %q", name)}
			}
			return err
		}
		return audit.Record(ctx, tx, actor, ActionUpdated, "customer:"+name, changes)
	})
	if err != nil {
		return nil, fmt.Errorf("customers: update %d: %w", id, err)
	}
	return out, nil
}

// HasJobsError refuses to delete a customer that still has jobs (archived ones too:
// they keep their runs and reference the customer).
type HasJobsError struct {
	Customer string
	Jobs     int // all jobs, archived included
	Archived int
}

func (e *HasJobsError) Error() string {
	return fmt.Sprintf("%s still has %s: delete its jobs first, or deactivate the customer instead",
		e.Customer, JobsText(e.Jobs, e.Archived))
}

// JobsText says how many jobs a customer has: "1 job", "3 jobs (1 archived)".
func JobsText(jobs, archived int) string {
	msg := fmt.Sprintf("%d jobs", jobs)
	if jobs == 1 {
		msg = "1 job"
	}
	if archived > 0 {
		msg += fmt.Sprintf(" (%d archived)", archived)
	}
	return msg
}

// SetActive activates or deactivates a customer, recording the change in the audit
// log; an inactive customer's jobs leave Run Checks, Daily Jobs and the Jobs list but
// keep their history. Setting the flag it already has changes nothing. An unknown id
// is db.ErrNotFound.
func SetActive(ctx context.Context, idb bun.IDB, actor audit.Actor, id int64, active bool) (*db.Customer, error) {
	c := new(db.Customer)
	err := idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := tx.NewSelect().Model(c).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
			return db.NotFound(err)
		}
		if c.Active == active {
			return nil
		}
		changes := audit.Changes{}
		changes.Add("active", c.Active, active)
		c.Active = active
		if err := tx.NewUpdate().Model(c).Column("active").Set("updated_at = now()").WherePK().
			Returning("updated_at").Scan(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, ActionUpdated, "customer:"+c.Name, changes)
	})
	if err != nil {
		return nil, fmt.Errorf("customers: set active %d: %w", id, err)
	}
	return c, nil
}

// Delete removes a customer without jobs; its objects and ticket/remark scopes go with
// it (ON DELETE CASCADE). A customer with jobs is refused with *HasJobsError. Returns
// the deleted customer.
func Delete(ctx context.Context, idb bun.IDB, actor audit.Actor, id int64) (*db.Customer, error) {
	c := new(db.Customer)
	err := idb.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// FOR UPDATE also holds off a job being created for it meanwhile (the FK check
		// of a new job takes a KEY SHARE lock on this row).
		if err := tx.NewSelect().Model(c).Where("id = ?", id).For("UPDATE").Scan(ctx); err != nil {
			return db.NotFound(err)
		}
		var n struct {
			Jobs     int `bun:"jobs"`
			Archived int `bun:"archived"`
		}
		if err := tx.NewSelect().TableExpr("jobs").ColumnExpr("count(*) AS jobs").
			ColumnExpr("count(*) FILTER (WHERE archived_at IS NOT NULL) AS archived").
			Where("customer_id = ?", id).Scan(ctx, &n); err != nil {
			return err
		}
		if n.Jobs > 0 {
			return &HasJobsError{Customer: c.Name, Jobs: n.Jobs, Archived: n.Archived}
		}
		if _, err := tx.NewDelete().Model(c).WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, ActionDeleted, "customer:"+c.Name, map[string]any{"id": c.ID, "active": c.Active})
	})
	if err != nil {
		return nil, fmt.Errorf("customers: delete %d: %w", id, err)
	}
	return c, nil
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
