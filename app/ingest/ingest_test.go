package ingest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

var ctx = context.Background()

var registry = parserstest.Registry()

// reportMail builds a report mail of the test parser's shape.
func reportMail(n int, status, job string, objects ...string) mail.Message {
	raw := parserstest.Mail(n, status, job, objects...)
	return mail.Message{SourceID: fmt.Sprintf("src-%d", n), Raw: raw, Size: int64(len(raw))}
}

func store(t *testing.T, d *db.DB, msgs ...mail.Message) []ingest.Stored {
	t.Helper()
	out, err := ingest.StoreBatch(ctx, d.Bun, registry, db.SourceGraph, msgs, time.Now())
	if err != nil {
		t.Fatalf("StoreBatch: %v", err)
	}
	return out
}

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Bun.NewRaw(query, args...).Scan(ctx, &n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestStoreUnknownJobWaitsInInbox(t *testing.T) {
	d := dbtest.New(t)
	out := store(t, d, reportMail(1, "Failed", "Nightly", "object: vm01 Failed disk full", "object: vm02 Success"))
	if len(out) != 1 || out[0].Duplicate || out[0].RunID != 0 || !out[0].Parsed {
		t.Fatalf("stored = %+v", out)
	}
	d2, err := inbox.Get(ctx, d.Bun, out[0].MailID)
	if err != nil {
		t.Fatal(err)
	}
	m := d2.Mail
	if m.Location != db.LocationInbox || *m.ParsedJobName != "Nightly" || *m.ParsedStatus != "Failed" ||
		*m.FromAddress != "nas@backup.example.net" || *m.MessageID != "report-1@backup.example.net" {
		t.Fatalf("stored mail = %+v", m)
	}
	if len(d2.Objects) != 2 || d2.Objects[0].ObjectName != "vm01" || *d2.Objects[0].ErrorMessage != "disk full" {
		t.Fatalf("objects = %+v", d2.Objects)
	}
	if d2.Approvable() != "" {
		t.Fatalf("not approvable: %s", d2.Approvable())
	}
}

func TestStoreIsIdempotent(t *testing.T) {
	d := dbtest.New(t)
	msgs := []mail.Message{reportMail(1, "Success", "A"), reportMail(2, "Success", "B"), reportMail(2, "Success", "B")}
	first := store(t, d, msgs...)
	if len(first) != 2 {
		t.Fatalf("a message twice in one batch: %d results, want 2", len(first))
	}
	again := store(t, d, msgs...)
	for _, s := range again {
		if !s.Duplicate || s.MailID == 0 {
			t.Fatalf("second import: %+v, want duplicate with the stored id", s)
		}
	}
	// The same mail through another path (an upload: another source id) is recognised
	// by Message-ID and size.
	other := reportMail(1, "Success", "A")
	other.SourceID = mail.ContentSourceID(other.Raw)
	if out, _ := ingest.StoreBatch(ctx, d.Bun, registry, db.SourceUpload, []mail.Message{other}, time.Now()); !out[0].Duplicate || out[0].MailID != first[0].MailID {
		t.Fatalf("upload of an imported mail: %+v", out)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages"); n != 2 {
		t.Fatalf("%d mails stored, want 2", n)
	}
}

func TestGarbageIsStoredUnparsed(t *testing.T) {
	d := dbtest.New(t)
	garbage := mail.Message{SourceID: "g1", Raw: []byte("\x00\x01\x02 this is not a mail at all \xff\xfe")}
	noParser := mail.Message{SourceID: "g2", Raw: []byte("From: someone@example.org\r\nSubject: Lunch on Friday?\r\n\r\nSee you.\r\n")}
	out := store(t, d, garbage, noParser)
	for _, s := range out {
		if s.Duplicate || s.MailID == 0 || s.Parsed || s.Error == "" {
			t.Fatalf("unparseable mail: %+v, want stored with an error", s)
		}
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE location = 'inbox' AND parsed_status IS NULL AND parse_error <> ''"); n != 2 {
		t.Fatalf("%d unparsed mails in the Inbox, want 2", n)
	}
}

// newJob approves a first mail into a job for customer and returns the job id.
func newJob(t *testing.T, d *db.DB, customer string, m mail.Message) int64 {
	t.Helper()
	s := store(t, d, m)
	res, err := inbox.Approve(ctx, d.Bun, audit.Actor{Name: "test"}, inbox.Approval{MailID: s[0].MailID, NewCustomerName: customer})
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	return res.JobID
}

func TestApproveProcessesTheJobsOtherMails(t *testing.T) {
	d := dbtest.New(t)
	out := store(t, d,
		reportMail(1, "Success", "Nightly", "object: vm01 Success"),
		reportMail(2, "Failed", "Nightly", "object: vm01 Failed out of space"),
		reportMail(3, "Success", "Weekly"))
	res, err := inbox.Approve(ctx, d.Bun, audit.Actor{Name: "test"}, inbox.Approval{MailID: out[0].MailID, NewCustomerName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.JobCreated || res.Processed != 2 || res.Customer != "Acme" {
		t.Fatalf("approve = %+v, want a new job and 2 runs", res)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE location = 'inbox'"); n != 1 {
		t.Fatalf("%d mails left in the Inbox, want 1 (Weekly)", n)
	}
	var job db.Job
	if err := d.Bun.NewSelect().Model(&job).Where("id = ?", res.JobID).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	if job.UnreviewedCount != 2 || *job.WorstUnreviewedStatus != "Failed" || *job.LastRunStatus != "Failed" {
		t.Fatalf("job summary = count %d worst %v last %v", job.UnreviewedCount, *job.WorstUnreviewedStatus, *job.LastRunStatus)
	}
	if n := count(t, d, "SELECT count(*) FROM customer_objects"); n != 1 {
		t.Fatalf("%d customer objects, want 1 (vm01 once)", n)
	}
	if n := count(t, d, "SELECT count(*) FROM run_object_links WHERE status = 'Failed' AND error_message = 'out of space'"); n != 1 {
		t.Fatalf("failed object result not stored")
	}

	// An existing customer by id; the same name again is refused as a new customer.
	_, err = inbox.Approve(ctx, d.Bun, audit.Actor{}, inbox.Approval{MailID: out[2].MailID, NewCustomerName: "ACME"})
	if fe, ok := err.(interface{ Error() string }); !ok || !strings.Contains(fe.Error(), "already exists") {
		t.Fatalf("approve to a duplicate new customer name: %v", err)
	}
	res2, err := inbox.Approve(ctx, d.Bun, audit.Actor{}, inbox.Approval{MailID: out[2].MailID, CustomerID: job.CustomerID})
	if err != nil || !res2.JobCreated || res2.Processed != 1 {
		t.Fatalf("approve Weekly to Acme: %+v %v", res2, err)
	}
	// Approving a processed mail again is refused.
	if _, err := inbox.Approve(ctx, d.Bun, audit.Actor{}, inbox.Approval{MailID: out[0].MailID, CustomerID: job.CustomerID}); err == nil {
		t.Fatal("a processed mail was approved again")
	}
}

func TestKnownJobRunAndTicketPropagation(t *testing.T) {
	d := dbtest.New(t)
	jobID := newJob(t, d, "Acme", reportMail(1, "Success", "Nightly"))
	// An open job-scoped ticket and a resolved one.
	var open, resolved int64
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Bun.NewRaw("INSERT INTO tickets (ticket_code) VALUES ('T1') RETURNING id").Scan(ctx, &open))
	must(d.Bun.NewRaw("INSERT INTO tickets (ticket_code, resolved_at) VALUES ('T2', now()) RETURNING id").Scan(ctx, &resolved))
	_, err := d.Bun.ExecContext(ctx, "INSERT INTO ticket_scopes (ticket_id, scope_type, job_id) VALUES (?, 'job', ?), (?, 'job', ?)", open, jobID, resolved, jobID)
	must(err)

	out := store(t, d, reportMail(2, "Warning", "Nightly", "object: vm01 Warning slow"))
	if out[0].JobID != jobID || out[0].RunID == 0 {
		t.Fatalf("mail of a known job: %+v", out[0])
	}
	if n := count(t, d, "SELECT count(*) FROM ticket_job_runs WHERE job_run_id = ?", out[0].RunID); n != 1 {
		t.Fatalf("%d tickets linked to the new run, want 1 (the open one)", n)
	}
	// A late retry of the same mail (another source id, same Message-ID and size) adds nothing.
	again := reportMail(2, "Warning", "Nightly", "object: vm01 Warning slow")
	again.SourceID = "another-id"
	if s := store(t, d, again); !s[0].Duplicate {
		t.Fatalf("retry stored twice: %+v", s)
	}
	if n := count(t, d, "SELECT count(*) FROM job_runs WHERE job_id = ?", jobID); n != 2 {
		t.Fatalf("%d runs, want 2", n)
	}
}

func TestReparse(t *testing.T) {
	d := dbtest.New(t)
	// Stored while no parser knew the mail (generic only: no job name).
	empty := parsers.NewRegistry(parsers.Default().Parsers()...)
	out, err := ingest.StoreBatch(ctx, d.Bun, empty, db.SourceGraph, []mail.Message{reportMail(1, "Failed", "Nightly", "object: vm01 Failed x")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var name string
	if err := d.Bun.NewRaw("SELECT coalesce(parsed_job_name, '') FROM mail_messages WHERE id = ?", out[0].MailID).Scan(ctx, &name); err != nil || name != "" {
		t.Fatalf("before: job name %q %v", name, err)
	}
	var progress []int
	res, err := ingest.Reparse(ctx, d.Bun, registry, time.Now(), func(done, total int) { progress = append(progress, done) })
	if err != nil {
		t.Fatal(err)
	}
	if res.Reparsed != 1 || res.Runs != 0 || len(progress) != 1 {
		t.Fatalf("reparse = %+v, progress %v", res, progress)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_objects WHERE mail_message_id = ?", out[0].MailID); n != 1 {
		t.Fatalf("objects after re-parse: %d", n)
	}
	if err := d.Bun.NewRaw("SELECT parsed_job_name FROM mail_messages WHERE id = ?", out[0].MailID).Scan(ctx, &name); err != nil || name != "Nightly" {
		t.Fatalf("after: job name %q %v", name, err)
	}
}

func TestDeleteRestorePurge(t *testing.T) {
	d := dbtest.New(t)
	out := store(t, d, reportMail(1, "Success", "A"), reportMail(2, "Success", "B"))
	ids := []int64{out[0].MailID, out[1].MailID}
	if _, err := inbox.Purge(ctx, d.Bun, audit.Actor{}, ids); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages"); n != 2 {
		t.Fatal("purge removed mails that were not deleted first")
	}
	if n, err := inbox.Delete(ctx, d.Bun, audit.Actor{}, ids, time.Now()); err != nil || n != 2 {
		t.Fatalf("delete = %d, %v", n, err)
	}
	if n, err := inbox.Restore(ctx, d.Bun, audit.Actor{}, ids[:1]); err != nil || n != 1 {
		t.Fatalf("restore = %d, %v", n, err)
	}
	if n, err := inbox.Purge(ctx, d.Bun, audit.Actor{}, ids); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v", n, err)
	}
	if n := count(t, d, "SELECT count(*) FROM mail_messages WHERE location = 'inbox'"); n != 1 {
		t.Fatalf("inbox after restore+purge: %d", n)
	}
}
