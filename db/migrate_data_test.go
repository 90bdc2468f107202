package db_test

import (
	"context"
	"os"
	"testing"

	"github.com/backupchecks/backupchecks/db/dbtest"
)

// 0013 renames 3CX's 'Updates' jobs to 'Update' (the reference system's name), with
// the Inbox's parsed mails and global overrides; other software keeps its 'Updates'.
// The migration's SQL is replayed on rows written the old way.
func TestMigration0013ThreeCXUpdate(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	sql, err := os.ReadFile("migrations/0013_threecx_update_type.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	var cust int64
	if err := d.Bun.NewRaw("INSERT INTO customers (name) VALUES ('Acme') RETURNING id").Scan(ctx, &cust); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO jobs (customer_id, from_address, job_name, backup_software, backup_type)
		 VALUES (?0, 'pbx@example.com', '3CX Update', '3CX', 'Updates'),
		        (?0, 'nas@example.com', 'DSM Update', 'Synology', 'Updates')`,
		`INSERT INTO mail_messages (source, source_id, raw_mime, size, received_at, parsed_backup_software, parsed_backup_type)
		 VALUES ('upload', 'a', '', 0, now(), '3CX', 'Updates')`,
	} {
		if _, err := d.Bun.ExecContext(ctx, q, cust); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Bun.ExecContext(ctx, string(sql)); err != nil {
		t.Fatal(err)
	}
	var types []string
	if err := d.Bun.NewRaw("SELECT backup_software || ':' || backup_type FROM jobs ORDER BY job_name").Scan(ctx, &types); err != nil {
		t.Fatal(err)
	}
	if len(types) != 2 || types[0] != "3CX:Update" || types[1] != "Synology:Updates" {
		t.Errorf("jobs after 0013: %v", types)
	}
	var mailType string
	if err := d.Bun.NewRaw("SELECT parsed_backup_type FROM mail_messages").Scan(ctx, &mailType); err != nil {
		t.Fatal(err)
	}
	if mailType != "Update" {
		t.Errorf("Inbox mail's type after 0013: %q", mailType)
	}
}
