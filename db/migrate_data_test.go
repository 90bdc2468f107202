package db_test

import (
	"context"
	"os"
	"testing"
	"time"

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
	f := dbtest.Fixture(t, d)
	acme := f.Customer("Acme")
	acme.Job(dbtest.Job{From: "pbx@example.com", Name: "3CX Update", Software: "3CX", Type: "Updates"})
	acme.Job(dbtest.Job{From: "nas@example.com", Name: "DSM Update", Software: "Synology", Type: "Updates"})
	f.Mail(dbtest.Mail{SourceID: "a", ReceivedAt: time.Now(), ParsedSoftware: "3CX", ParsedType: "Updates"})
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
