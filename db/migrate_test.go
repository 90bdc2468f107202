package db_test

import (
	"context"
	"testing"

	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestMigrateEmptyDatabase migrates an empty database twice, from two goroutines at
// once (as two replicas starting together would), and checks the result.
func TestMigrateEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	url := dbtest.EmptyDatabase(t)

	errs := make(chan error, 2)
	for range 2 {
		go func() {
			d, err := db.Open(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer d.Close()
			errs <- db.Migrate(ctx, d)
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}

	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := db.Migrate(ctx, d); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}

	var settingsRows, riverTables int
	if err := d.Bun.QueryRowContext(ctx, "SELECT count(*) FROM system_settings").Scan(&settingsRows); err != nil {
		t.Fatal(err)
	}
	if settingsRows != 1 {
		t.Errorf("system_settings has %d rows, want 1", settingsRows)
	}
	if err := d.Bun.QueryRowContext(ctx,
		"SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('river_job', 'river_leader', 'river_queue')").Scan(&riverTables); err != nil {
		t.Fatal(err)
	}
	if riverTables != 3 {
		t.Errorf("found %d of River's tables, want 3", riverTables)
	}
	var applied int
	if err := d.Bun.QueryRowContext(ctx, "SELECT count(*) FROM bun_migrations").Scan(&applied); err != nil {
		t.Fatal(err)
	}
	files, _ := db.MigrationCount()
	if applied != files {
		t.Errorf("bun_migrations has %d rows, want %d (one per migration file)", applied, files)
	}
}
