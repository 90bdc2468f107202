package review

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// Choices are the Run Checks filter's choices.
type Choices struct {
	Customers []Customer // active ones, by name
	Softwares []string   // of jobs that are not archived
	Types     []string
}

// Customer is a customer to filter on.
type Customer struct {
	ID   int64  `bun:"id"`
	Name string `bun:"name"`
}

// FilterChoices returns the Run Checks filter's choices.
func FilterChoices(ctx context.Context, idb bun.IDB) (Choices, error) {
	var ch Choices
	if err := idb.NewRaw("SELECT id, name FROM customers WHERE active ORDER BY lower(name)").Scan(ctx, &ch.Customers); err != nil {
		return ch, fmt.Errorf("review: customers to filter on: %w", err)
	}
	if err := idb.NewRaw("SELECT DISTINCT backup_software FROM jobs WHERE archived_at IS NULL ORDER BY 1").Scan(ctx, &ch.Softwares); err != nil {
		return ch, fmt.Errorf("review: software to filter on: %w", err)
	}
	if err := idb.NewRaw("SELECT DISTINCT backup_type FROM jobs WHERE archived_at IS NULL ORDER BY 1").Scan(ctx, &ch.Types); err != nil {
		return ch, fmt.Errorf("review: types to filter on: %w", err)
	}
	return ch, nil
}
