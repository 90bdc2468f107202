package tickets_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/tickets"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

var ctx = context.Background()

func TestTicketLifecycleAndLinking(t *testing.T) {
	d := dbtest.New(t)
	reg := parserstest.Registry()
	n := 0
	newRun := func() int64 {
		n++
		raw := parserstest.Mail(n, "Failed", "Nightly")
		out, err := ingest.StoreBatch(ctx, d.Bun, reg, db.SourceGraph, []mail.Message{{SourceID: fmt.Sprint(n), Raw: raw, Size: int64(len(raw))}}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return out[0].RunID
	}
	// A first mail, approved into the job.
	raw := parserstest.Mail(100, "Failed", "Nightly")
	out, err := ingest.StoreBatch(ctx, d.Bun, reg, db.SourceGraph, []mail.Message{{SourceID: "first", Raw: raw, Size: int64(len(raw))}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ap, err := inbox.Approve(ctx, d.Bun, audit.Actor{Name: "t"}, inbox.Approval{MailID: out[0].MailID, NewCustomerName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	var firstRun int64
	if err := d.Bun.NewRaw("SELECT id FROM job_runs WHERE job_id = ?", ap.JobID).Scan(ctx, &firstRun); err != nil {
		t.Fatal(err)
	}

	now := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	id, code, err := tickets.Create(ctx, d.Bun, audit.Actor{Name: "ops"}, tickets.Input{Kind: tickets.KindTicket, Text: "disk full", JobID: ap.JobID, RunID: firstRun}, now)
	if err != nil || code != "T20260305.0001" {
		t.Fatalf("create: %d %q %v", id, code, err)
	}
	_, code2, _ := tickets.Create(ctx, d.Bun, audit.Actor{Name: "ops"}, tickets.Input{Kind: tickets.KindTicket, JobID: ap.JobID}, now)
	if code2 != "T20260305.0002" {
		t.Fatalf("second code %q", code2)
	}
	if _, _, err := tickets.Create(ctx, d.Bun, audit.Actor{}, tickets.Input{Kind: tickets.KindTicket, Code: code}, now); err == nil {
		t.Fatal("a ticket without scope and with a used code was created")
	}
	remark, _, err := tickets.Create(ctx, d.Bun, audit.Actor{Name: "ops"}, tickets.Input{Kind: tickets.KindRemark, Text: "vendor knows", JobID: ap.JobID}, now)
	if err != nil {
		t.Fatal(err)
	}

	// New runs while open: linked. The alerts of a run list each item once.
	r1 := newRun()
	alerts, err := tickets.Alerts(ctx, d.Bun, r1)
	if err != nil || len(alerts) != 3 || !alerts[0].Direct {
		t.Fatalf("alerts of a new run: %+v %v", alerts, err)
	}
	// Resolved: no longer linked to new runs; old links stay.
	if err := tickets.SetResolved(ctx, d.Bun, audit.Actor{}, tickets.KindTicket, id, true, now); err != nil {
		t.Fatal(err)
	}
	if err := tickets.SetResolved(ctx, d.Bun, audit.Actor{}, tickets.KindRemark, remark, true, now); err != nil {
		t.Fatal(err)
	}
	r2 := newRun()
	var links int
	if err := d.Bun.NewRaw("SELECT count(*) FROM ticket_job_runs WHERE ticket_id = ? AND job_run_id = ?", id, r2).Scan(ctx, &links); err != nil || links != 0 {
		t.Fatalf("resolved ticket linked to a new run: %d %v", links, err)
	}
	if err := d.Bun.NewRaw("SELECT count(*) FROM ticket_job_runs WHERE ticket_id = ? AND job_run_id IN (?, ?)", id, firstRun, r1).Scan(ctx, &links); err != nil || links != 2 {
		t.Fatalf("old links: %d %v", links, err)
	}
	if a, _ := tickets.Alerts(ctx, d.Bun, r2); len(a) != 1 || a[0].Code != code2 {
		t.Fatalf("alerts after resolving: %+v", a)
	}
	open := false
	list, err := tickets.List(ctx, d.Bun, tickets.ListFilter{Kind: tickets.KindTicket, Resolved: &open})
	if err != nil || len(list) != 1 || list[0].Code != code2 || list[0].Scopes != "Acme / Nightly" {
		t.Fatalf("open tickets: %+v %v", list, err)
	}
}
