package retention_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/retention"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/app/validation"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

func count(t *testing.T, d *db.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.Bun.NewRaw(query, args...).Scan(context.Background(), &n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestSaveAndLoad(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	p, err := retention.Load(ctx, d.Bun)
	if err != nil {
		t.Fatal(err)
	}
	if p.Years != 0 || p.LastRunAt != nil {
		t.Fatalf("default policy %+v, want off and never run", p)
	}
	actor := audit.Actor{Name: "admin"}
	for _, bad := range []int{-1, retention.MaxYears + 1} {
		var fe validation.Errors
		if err := retention.Save(ctx, d.Bun, actor, bad); !errors.As(err, &fe) || fe["years"] == "" {
			t.Errorf("Save(%d) = %v, want a message for years", bad, err)
		}
	}
	if err := retention.Save(ctx, d.Bun, actor, 3); err != nil {
		t.Fatal(err)
	}
	if err := retention.Save(ctx, d.Bun, actor, 3); err != nil { // unchanged: no second entry
		t.Fatal(err)
	}
	if p, _ = retention.Load(ctx, d.Bun); p.Years != 3 {
		t.Fatalf("years %d after saving 3", p.Years)
	}
	if n := count(t, d, `SELECT count(*) FROM audit_log WHERE action = ?`, retention.ActionSet); n != 1 {
		t.Errorf("%d audit entries, want 1", n)
	}
}

// TestPurge: old runs go with their review events, ticket and remark links and object
// links (tickets and objects stay), old mails with their objects; the job summaries
// follow; younger rows are untouched; small batches and a budget stop and resume.
func TestPurge(t *testing.T) {
	d := dbtest.New(t)
	ctx := t.Context()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	cutoff := retention.Cutoff(now, 2)
	old, young := now.AddDate(-3, 0, 0), now.AddDate(-1, 0, 0)

	f := dbtest.Fixture(t, d)
	acme := f.Customer("Acme")
	nightly := acme.Job(dbtest.Job{Name: "Nightly"})
	oldMail := nightly.Mail(dbtest.Mail{ReceivedAt: old, Subject: "old report"})
	youngMail := nightly.Mail(dbtest.Mail{ReceivedAt: young, Subject: "young report"})
	inboxOld := f.Mail(dbtest.Mail{ReceivedAt: old.Add(time.Hour), Subject: "never approved"})
	for i := range 7 {
		nightly.Run(dbtest.Run{Status: "Failed", At: old.Add(time.Duration(i) * time.Hour), MailID: oldMail})
	}
	youngRun := nightly.Run(dbtest.Run{Status: "Warning", At: young, MailID: youngMail})
	// A young run whose mail is old (a late report): it stays, without its mail.
	lateRun := nightly.Run(dbtest.Run{At: cutoff.Add(time.Minute), MailID: oldMail})
	oldRun := nightly.RunIDs[0]
	obj := acme.Object("SRV-01", "Server")
	nightly.LinkObject(obj)
	f.RunObject(oldRun, obj, "Failed", "disk full")
	f.RunObject(youngRun, obj, "Warning", "")
	if _, err := review.ReviewRuns(ctx, d.Bun, audit.Actor{Name: "op"}, []int64{oldRun, nightly.RunIDs[1]}, now); err != nil {
		t.Fatal(err)
	}
	var ticketID int64
	if err := d.Bun.NewRaw(`INSERT INTO tickets (ticket_code) VALUES ('T-1') RETURNING id`).Scan(ctx, &ticketID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Bun.ExecContext(ctx, `INSERT INTO ticket_job_runs (ticket_id, job_run_id) VALUES (?, ?), (?, ?)`,
		ticketID, oldRun, ticketID, youngRun); err != nil {
		t.Fatal(err)
	}
	if err := review.RecountJobSummaries(ctx, d.Bun, []int64{nightly.ID}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, `SELECT unreviewed_count FROM jobs WHERE id = ?`, nightly.ID); n != 7 {
		t.Fatalf("unreviewed %d before, want 5 old + young + late = 7", n)
	}

	p, err := retention.Count(ctx, d.Bun, 2, now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Runs != 7 || p.Mails != 2 || !p.Cutoff.Equal(cutoff) {
		t.Fatalf("preview %+v, want 7 runs and 2 mails before %v", p, cutoff)
	}

	// Batches of 3 runs and 1 mail within a budget that stops after the first batch.
	var progress []retention.Result
	res, err := retention.Purge(ctx, d.Bun, cutoff, retention.Options{RunBatch: 3, MailBatch: 1, Budget: time.Nanosecond,
		Progress: func(r retention.Result) { progress = append(progress, r) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Runs != 3 || res.Mails != 0 || !res.More || len(progress) != 1 {
		t.Fatalf("first pass %+v (progress %v), want 3 runs and more to come", res, progress)
	}
	res, err = retention.Purge(ctx, d.Bun, cutoff, retention.Options{RunBatch: 3, MailBatch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Runs != 4 || res.Mails != 2 || res.More || res.Batches != 2+2 {
		t.Fatalf("second pass %+v, want the 4 other runs in 2 batches and 2 mails in 2", res)
	}

	for what, want := range map[string]int{
		`SELECT count(*) FROM job_runs`:                                                   2,
		`SELECT count(*) FROM job_runs WHERE id IN (?0, ?1)`:                              2,
		`SELECT count(*) FROM mail_messages`:                                              1,
		`SELECT count(*) FROM mail_messages WHERE id = ?3`:                                1,
		`SELECT count(*) FROM job_runs WHERE id = ?1 AND mail_message_id IS NULL`:         1,
		`SELECT count(*) FROM job_run_review_events`:                                      0,
		`SELECT count(*) FROM ticket_job_runs WHERE job_run_id = ?0`:                      1,
		`SELECT count(*) FROM tickets`:                                                    1,
		`SELECT count(*) FROM run_object_links`:                                           1,
		`SELECT count(*) FROM customer_objects`:                                           1,
		`SELECT unreviewed_count FROM jobs WHERE id = ?2`:                                 2,
		`SELECT count(*) FROM mail_messages WHERE id = ?4 OR subject = 'never approved'`:  0,
		`SELECT count(*) FROM jobs WHERE id = ?2 AND worst_unreviewed_status = 'Warning'`: 1,
	} {
		if got := count(t, d, what, youngRun, lateRun, nightly.ID, youngMail, inboxOld); got != want {
			t.Errorf("%s = %d, want %d", what, got, want)
		}
	}

	// Nothing left: a pass removes nothing; Record keeps the result and audits passes
	// that removed something.
	res, err = retention.Purge(ctx, d.Bun, cutoff, retention.Options{})
	if err != nil || res.Runs+res.Mails != 0 {
		t.Fatalf("third pass %+v, %v", res, err)
	}
	if err := retention.Record(ctx, d.Bun, now, retention.Result{Runs: 7, Mails: 2}, nil); err != nil {
		t.Fatal(err)
	}
	if err := retention.Record(ctx, d.Bun, now.Add(time.Hour), res, nil); err != nil {
		t.Fatal(err)
	}
	pol, err := retention.Load(ctx, d.Bun)
	if err != nil {
		t.Fatal(err)
	}
	if pol.LastRunAt == nil || !pol.LastRunAt.Equal(now.Add(time.Hour)) || pol.LastResult != "0 runs and 0 mails removed" {
		t.Errorf("last pass %v %q", pol.LastRunAt, pol.LastResult)
	}
	if n := count(t, d, `SELECT count(*) FROM audit_log WHERE action = ?`, retention.ActionPurged); n != 1 {
		t.Errorf("%d purge audit entries, want 1 (only the pass that removed something)", n)
	}
}
