package dbtest_test

import (
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// The fixture writes what it is given and its documented defaults, and nothing else.
func TestFixture(t *testing.T) {
	d := dbtest.New(t)
	f := dbtest.Fixture(t, d)
	at := time.Date(2026, 3, 2, 22, 0, 0, 0, time.UTC)
	acme := f.Customer("Acme")
	gone := f.AddCustomer(dbtest.Customer{Name: "Gone", Inactive: true})
	archived := at.Add(-time.Hour)
	nightly := acme.Job(dbtest.Job{Name: "Nightly", From: "veeam@example.com",
		LearnedSchedule: map[string]any{"kind": "daily", "time": "22:00"}, ArchivedAt: &archived})
	mail := nightly.Mail(dbtest.Mail{Subject: "[Success] Nightly", ReceivedAt: at, Raw: []byte("Subject: x\r\n\r\n")})
	nightly.Runs(dbtest.Run{Status: db.StatusFailed, At: at, Message: "disk full", MailID: mail},
		dbtest.Run{At: at.Add(24 * time.Hour), Overridden: db.StatusSuccess, AutotaskTicketID: 7, AutotaskTicketNumber: "T7"})
	plain := gone.Job(dbtest.Job{})
	inbox := f.Mail(dbtest.Mail{ReceivedAt: at})
	obj := acme.Object("vm01", "VM")
	nightly.LinkObject(obj)
	f.RunObject(nightly.RunIDs[0], obj, db.StatusFailed, "no space")

	if len(nightly.RunIDs) != 2 || nightly.CustomerID != acme.ID || plain.CustomerID != gone.ID {
		t.Fatalf("refs: %+v %+v", nightly, plain)
	}
	if again := f.JobByID(nightly.ID); again.CustomerID != acme.ID || len(again.RunIDs) != 0 {
		t.Fatalf("JobByID: %+v", again)
	}
	var got struct {
		Active, GoneActive                       bool
		Name, Software, Type, FromAddr, Schedule string
		Archived, Summary                        bool
		PlainName, PlainSoftware, PlainType      string
		Statuses, Sources, Messages              string
		Overridden, Ticket                       string
		MailLocation, MailJob, InboxLocation     string
		Size                                     int
		Links                                    int
	}
	if err := d.Bun.NewRaw(`SELECT
		(SELECT active FROM customers WHERE id = ?0) AS active,
		(SELECT active FROM customers WHERE id = ?1) AS gone_active,
		j.job_name AS name, j.backup_software AS software, j.backup_type AS type, j.from_address AS from_addr,
		j.learned_schedule->>'kind' AS schedule, j.archived_at = ?2 AS archived,
		j.unreviewed_count = 0 AND j.last_run_at IS NULL AS summary,
		p.job_name AS plain_name, p.backup_software AS plain_software, p.backup_type AS plain_type,
		(SELECT string_agg(status, ',' ORDER BY id) FROM job_runs WHERE job_id = j.id) AS statuses,
		(SELECT string_agg(source_type, ',' ORDER BY id) FROM job_runs WHERE job_id = j.id) AS sources,
		(SELECT string_agg(coalesce(message, '-'), ',' ORDER BY id) FROM job_runs WHERE job_id = j.id) AS messages,
		(SELECT overridden_status FROM job_runs WHERE id = ?4) AS overridden,
		(SELECT autotask_ticket_number FROM job_runs WHERE id = ?4) AS ticket,
		(SELECT location FROM mail_messages WHERE id = ?5) AS mail_location,
		(SELECT (job_id = j.id)::text FROM mail_messages WHERE id = ?5) AS mail_job,
		(SELECT location FROM mail_messages WHERE id = ?6) AS inbox_location,
		(SELECT size FROM mail_messages WHERE id = ?5) AS size,
		(SELECT count(*) FROM job_object_links WHERE job_id = j.id) + (SELECT count(*) FROM run_object_links WHERE job_run_id = ?3) AS links
		FROM jobs j, jobs p WHERE j.id = ?7 AND p.id = ?8`,
		acme.ID, gone.ID, archived, nightly.RunIDs[0], nightly.RunIDs[1], mail, inbox, nightly.ID, plain.ID).Scan(t.Context(), &got); err != nil {
		t.Fatal(err)
	}
	want := got
	want.Active, want.GoneActive = true, false
	want.Name, want.Software, want.Type, want.FromAddr, want.Schedule = "Nightly", "Veeam", "Backup Job", "veeam@example.com", "daily"
	want.Archived, want.Summary = true, true
	want.PlainSoftware, want.PlainType = "Veeam", "Backup Job"
	want.Statuses, want.Sources, want.Messages = "Failed,Success", "email,email", "disk full,-"
	want.Overridden, want.Ticket = "Success", "T7"
	want.MailLocation, want.MailJob, want.InboxLocation = "processed", "true", "inbox"
	want.Size, want.Links = len("Subject: x\r\n\r\n"), 2
	if got.PlainName == "" {
		t.Error("a job without a name got none")
	}
	if got != want {
		t.Fatalf("rows:\n got %+v\nwant %+v", got, want)
	}
}
