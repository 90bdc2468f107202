package ingest_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// accountsParser reads "Accounts report" mails: a report on many accounts.
type accountsParser struct{}

func (accountsParser) Info() parsers.Info {
	return parsers.Info{Name: "test_accounts", BackupSoftware: "TestAccounts", BackupTypes: []string{"Report"}, Order: 0, Enabled: true}
}

func (accountsParser) Match(m *parsers.Mail) bool {
	return strings.HasPrefix(m.Subject, "Accounts report")
}

func (accountsParser) Parse(*parsers.Mail) (*parsers.ParsedRun, error) {
	return &parsers.ParsedRun{BackupSoftware: "TestAccounts", BackupType: "Report", JobName: "Accounts", Status: parsers.StatusWarning}, nil
}

func accountsMail(n int) mail.Message {
	raw := fmt.Sprintf("From: Provider <cc@provider.example.net>\r\nSubject: Accounts report %d\r\n"+
		"Date: Wed, 04 Mar 2026 06:00:00 +0100\r\nMessage-ID: <accounts-%d@provider.example.net>\r\nContent-Type: text/plain\r\n\r\nrows\r\n", n, n)
	return mail.Message{SourceID: fmt.Sprintf("acc-%d", n), Raw: []byte(raw), Size: int64(len(raw))}
}

// TestAccountReportsAreHandedOver: a mail whose parser has an account-report handler
// goes to the handler (in the storing transaction), leaves the Inbox without a job,
// never becomes the run of a job matched by its key, is handed over again by a
// re-parse (not when deleted), and cannot be approved.
func TestAccountReportsAreHandedOver(t *testing.T) {
	d := dbtest.New(t)
	var handed [][]int64
	ingest.HandleAccountReports("test_accounts", func(ctx context.Context, tx bun.IDB, ids []int64) error {
		var n int
		if err := tx.NewRaw("SELECT count(*) FROM mail_messages WHERE id IN (?)", bun.In(ids)).Scan(ctx, &n); err != nil || n != len(ids) {
			return fmt.Errorf("the handler does not see the stored mails: %d, %v", n, err)
		}
		handed = append(handed, slices.Clone(ids))
		return nil
	})
	if !ingest.IsAccountReport("test_accounts") || ingest.IsAccountReport("test_backup") {
		t.Fatal("IsAccountReport")
	}
	reg := parsers.NewRegistry(accountsParser{}, parserstest.Parser{})

	// A job with the report's matching key exists (as if approved before the handler
	// was there): the report still does not become its run.
	var cust int64
	if err := d.Bun.NewRaw("INSERT INTO customers (name) VALUES ('Acme') RETURNING id").Scan(ctx, &cust); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Bun.ExecContext(ctx, `INSERT INTO jobs (customer_id, job_name, backup_software, backup_type, from_address)
		VALUES (?, 'Accounts', 'TestAccounts', 'Report', 'cc@provider.example.net')`, cust); err != nil {
		t.Fatal(err)
	}

	stored, err := ingest.StoreBatch(ctx, d.Bun, reg, db.SourceGraph, []mail.Message{accountsMail(1), reportMail(2, "Success", "Nightly")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !stored[0].AccountReport || stored[0].Outcome() != ingest.OutcomeAccountReport || stored[0].RunID != 0 || stored[0].JobID != 0 {
		t.Fatalf("the account report: %+v", stored[0])
	}
	if stored[1].AccountReport || stored[1].Outcome() != ingest.OutcomeInbox {
		t.Fatalf("the other mail: %+v", stored[1])
	}
	var tally ingest.Tally
	tally.Add(stored)
	if tally.Accounts != 1 || tally.Inbox != 1 {
		t.Fatalf("tally %+v", tally)
	}
	report := stored[0].MailID
	if len(handed) != 1 || !slices.Equal(handed[0], []int64{report}) {
		t.Fatalf("handed over: %v", handed)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE id = ? AND location = 'processed' AND job_id IS NULL", report); n != 1 {
		t.Fatal("the account report is not out of the Inbox")
	}
	if n := count(t, d, "SELECT count(*) FROM job_runs"); n != 0 {
		t.Fatalf("%d runs", n)
	}

	// Re-parsed: handed over again.
	if _, err := ingest.Reparse(ctx, d.Bun, reg, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if len(handed) != 2 || !slices.Equal(handed[1], []int64{report}) {
		t.Fatalf("after a re-parse: %v", handed)
	}

	// Back in the Inbox (restored from Deleted, say): it cannot be approved into one job.
	if _, err := d.Bun.ExecContext(ctx, "UPDATE mail_messages SET location = 'inbox' WHERE id = ?", report); err != nil {
		t.Fatal(err)
	}
	det, err := inbox.Get(ctx, d.Bun, report)
	if err != nil {
		t.Fatal(err)
	}
	if why := det.Approvable(); !strings.Contains(why, "many accounts") {
		t.Fatalf("approvable: %q", why)
	}
	if _, err := inbox.Approve(ctx, d.Bun, audit.Actor{Name: "t"}, inbox.Approval{MailID: report, NewCustomerName: "X"}); err == nil {
		t.Fatal("approved an account report")
	}

	// Deleted: a re-parse leaves it alone.
	if _, err := d.Bun.ExecContext(ctx, "UPDATE mail_messages SET location = 'deleted', deleted_at = now() WHERE id = ?", report); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Reparse(ctx, d.Bun, reg, time.Now(), nil); err != nil {
		t.Fatal(err)
	}
	if len(handed) != 2 {
		t.Fatalf("a deleted report was handed over: %v", handed)
	}
}
