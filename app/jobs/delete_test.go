package jobs_test

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"testing"
	"time"

	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/jobs"
	"github.com/backupchecks/backupchecks/app/overrides"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/app/tickets"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

var (
	ctx   = context.Background()
	actor = audit.Actor{Name: "admin"}
	at    = time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
)

// belonging lists, per table, the rows that belong to a job (or to its runs): what
// deleting the job must remove, or for mails and Cloud Connect tenants unlink.
var belonging = []struct{ table, where string }{
	{"jobs", "id = ?0"},
	{"job_runs", "job_id = ?0"},
	{"job_run_review_events", "job_run_id = ANY(?1)"},
	{"ticket_job_runs", "job_run_id = ANY(?1)"},
	{"remark_job_runs", "job_run_id = ANY(?1)"},
	{"run_object_links", "job_run_id = ANY(?1)"},
	{"job_object_links", "job_id = ?0"},
	{"overrides", "job_id = ?0"},
	{"ticket_scopes", "job_id = ?0"},
	{"remark_scopes", "job_id = ?0"},
	{"job_match_rules", "job_id = ?0"},
	{"cloud_connect_accounts", "job_id = ?0"},
	{"mail_messages", "job_id = ?0"},
}

// shared lists rows that are no one job's: deleting a job leaves their number alone.
var shared = []string{"customers", "customer_objects", "tickets", "remarks", "users", "mail_messages", "cloud_connect_accounts"}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Bun.NewRaw(query, args...).Scan(ctx, &n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// rowsOf counts job's rows in every table of belonging.
func rowsOf(t *testing.T, d *db.DB, job *dbtest.JobRef) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, b := range belonging {
		out[b.table] = count(t, d, "SELECT count(*) FROM "+b.table+" WHERE "+b.where, job.ID, pgdialect.Array(job.RunIDs))
	}
	return out
}

func sharedRows(t *testing.T, d *db.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range shared {
		out[table] = count(t, d, "SELECT count(*) FROM "+table)
	}
	return out
}

// TestDelete: deleting a job removes its runs and everything hanging off them and off
// the job, in foreign-key order (the RESTRICT keys fail otherwise), returns its mails
// to the Inbox and unlinks its Cloud Connect tenant; another job of the same customer,
// with rows in every one of those tables too, keeps all of them.
func TestDelete(t *testing.T) {
	d := dbtest.New(t)
	f := dbtest.Fixture(t, d)
	acme := f.Customer("Acme")
	vm01, vm02 := acme.Object("vm01", "VM"), acme.Object("vm02", "VM")

	// Both jobs get the same kinds of rows.
	setup := func(name string) *dbtest.JobRef {
		job := acme.Job(dbtest.Job{Name: name, From: "veeam@example.com"}).LinkObject(vm01).LinkObject(vm02)
		mail := job.Mail(dbtest.Mail{Subject: "[Failed] " + name, ReceivedAt: at})
		failed := job.Run(dbtest.Run{Status: db.StatusFailed, At: at, MailID: mail, Message: "disk full"})
		reviewed := job.Run(dbtest.Run{Status: db.StatusWarning, At: at.Add(time.Hour)})
		job.Run(dbtest.Run{Status: db.StatusSuccess, At: at.Add(2 * time.Hour)})
		f.RunObject(failed, vm01, db.StatusFailed, "disk full")
		f.RunObject(reviewed, vm02, db.StatusWarning, "")
		if _, err := review.ReviewRuns(ctx, d.Bun, actor, []int64{reviewed}, at.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := tickets.Create(ctx, d.Bun, actor, tickets.Input{Kind: tickets.KindTicket, Code: "PSA-" + name,
			JobID: job.ID, RunID: failed}, at); err != nil {
			t.Fatal(err)
		}
		if _, _, err := tickets.Create(ctx, d.Bun, actor, tickets.Input{Kind: tickets.KindRemark, Text: "Moving " + name,
			JobID: job.ID, RunID: reviewed}, at); err != nil {
			t.Fatal(err)
		}
		if _, err := overrides.Create(ctx, d.Bun, actor, overrides.Input{Level: "object", JobID: itoa(job.ID),
			MatchStatus: db.StatusWarning, MatchMode: overrides.ModeContains, TreatAsSuccess: true}, time.UTC, at); err != nil {
			t.Fatal(err)
		}
		if err := jobs.SaveMatchRule(ctx, d.Bun, job.ID, "veeam@example.com", name+" *"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Bun.ExecContext(ctx, "INSERT INTO cloud_connect_accounts (user_name, job_id) VALUES (?, ?)", name, job.ID); err != nil {
			t.Fatal(err)
		}
		return job
	}
	nightly, weekly := setup("Nightly"), setup("Weekly")
	// Rows of the customer and of everything: a ticket and a remark on the customer and
	// on an object (linked to both jobs' runs), a global override.
	for _, in := range []tickets.Input{
		{Kind: tickets.KindTicket, Code: "PSA-ACME", CustomerID: acme.ID},
		{Kind: tickets.KindRemark, Text: "vm01 is slow", ObjectID: vm01},
	} {
		if _, _, err := tickets.Create(ctx, d.Bun, actor, in, at); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := overrides.Create(ctx, d.Bun, actor, overrides.Input{Level: "global", MatchStatus: db.StatusFailed,
		MatchText: "disk full", MatchMode: overrides.ModeContains, TreatAsSuccess: true}, time.UTC, at); err != nil {
		t.Fatal(err)
	}

	before := rowsOf(t, d, nightly)
	for table, n := range before {
		if n == 0 {
			t.Fatalf("the fixture has no %s rows of the job: the test would prove nothing", table)
		}
	}
	weeklyBefore, sharedBefore := rowsOf(t, d, weekly), sharedRows(t, d)

	got, err := jobs.Delete(ctx, d.Bun, actor, nightly.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := (jobs.Deleted{Runs: 3, MailsToInbox: 1, JobName: "Nightly", CustomerName: "Acme"}); got != want {
		t.Fatalf("Delete = %+v, want %+v", got, want)
	}
	for table, n := range rowsOf(t, d, nightly) {
		if n != 0 {
			t.Errorf("%d %s rows of the deleted job left behind", n, table)
		}
	}
	if after := rowsOf(t, d, weekly); !maps.Equal(after, weeklyBefore) {
		t.Errorf("the other job's rows changed:\n got %v\nwant %v", after, weeklyBefore)
	}
	if after := sharedRows(t, d); !maps.Equal(after, sharedBefore) {
		t.Errorf("shared rows changed:\n got %v\nwant %v", after, sharedBefore)
	}
	// The mail is back in the Inbox, unlinked; the tenant is back in staging.
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE subject = '[Failed] Nightly' AND job_id IS NULL AND location = 'inbox'"); n != 1 {
		t.Errorf("the deleted job's mail is not back in the Inbox")
	}
	if n := count(t, d, "SELECT count(*) FROM cloud_connect_accounts WHERE user_name = 'Nightly' AND job_id IS NULL"); n != 1 {
		t.Errorf("the deleted job's Cloud Connect tenant is not unlinked")
	}
	if n := count(t, d, "SELECT count(*) FROM audit_log WHERE action = 'job.deleted' AND target = ? AND details->>'runs' = '3'",
		"job:"+itoa(nightly.ID)); n != 1 {
		t.Errorf("%d audit entries of the delete, want 1", n)
	}

	// Gone is gone: a second delete finds nothing, and changes nothing.
	if _, err := jobs.Delete(ctx, d.Bun, actor, nightly.ID); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
	if after := rowsOf(t, d, weekly); !maps.Equal(after, weeklyBefore) {
		t.Errorf("the second delete changed the other job's rows: %v", after)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
