package tickets_test

import (
	"testing"
	"time"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/tickets"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

// TestRunsAlerts: a run's tickets and remarks come from both sources — linked to it
// (kept, marked resolved, after resolution) and open on a scope that covers it (its job,
// its customer, an object in it) — and a job's open ones include those of its customer
// and its objects.
func TestRunsAlerts(t *testing.T) {
	d := dbtest.New(t)
	now := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	f := dbtest.Fixture(t, d)
	acmeRef, globex := f.Customer("Acme"), f.Customer("Globex")
	nightlyRef, weeklyRef, otherRef := acmeRef.Job(dbtest.Job{Name: "Nightly", Type: "Backup"}),
		acmeRef.Job(dbtest.Job{Name: "Weekly", Type: "Backup"}), globex.Job(dbtest.Job{Name: "Nightly", Type: "Backup"})
	acme, nightly, weekly, other := acmeRef.ID, nightlyRef.ID, weeklyRef.ID, otherRef.ID
	vm01 := acmeRef.Object("vm01", "VM")
	nightlyRef.LinkObject(vm01)
	run := func(job *dbtest.JobRef, withVM01 bool, reviewedAt *time.Time) int64 {
		id := job.Run(dbtest.Run{Status: "Failed", At: now, ReviewedAt: reviewedAt})
		if withVM01 {
			f.RunObject(id, vm01, "Failed", "")
		}
		return id
	}
	ops := audit.Actor{Name: "ops"}
	first := run(nightlyRef, true, &now)
	resolved, resolvedCode, err := tickets.Create(ctx, d.Bun, ops, tickets.Input{Kind: tickets.KindTicket, Code: "PSA-1", Text: "Disk full", JobID: nightly, RunID: first}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := tickets.SetResolved(ctx, d.Bun, ops, tickets.KindTicket, resolved, true, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tickets.Create(ctx, d.Bun, ops, tickets.Input{Kind: tickets.KindRemark, Text: "Office move", CustomerID: acme}, now); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tickets.Create(ctx, d.Bun, ops, tickets.Input{Kind: tickets.KindTicket, Code: "PSA-2", Text: "vm01 migrating", ObjectID: vm01}, now); err != nil {
		t.Fatal(err)
	}
	// Open ones come before resolved ones. Runs that came after, not linked yet: the open scopes cover them.
	withObject, withoutObject, ofWeekly, ofOther := run(nightlyRef, true, nil), run(nightlyRef, false, nil), run(weeklyRef, false, nil), run(otherRef, false, nil)

	got, err := tickets.RunsAlerts(ctx, d.Bun, []int64{first, withObject, withoutObject, ofWeekly, ofOther})
	if err != nil {
		t.Fatal(err)
	}
	type a struct {
		kind, code, text string
		direct, resolved bool
	}
	want := map[int64][]a{
		first:         {{"ticket", "PSA-2", "vm01 migrating", false, false}, {"ticket", resolvedCode, "Disk full", true, true}, {"remark", "", "Office move", false, false}},
		withObject:    {{"ticket", "PSA-2", "vm01 migrating", false, false}, {"remark", "", "Office move", false, false}},
		withoutObject: {{"remark", "", "Office move", false, false}},
		ofWeekly:      {{"remark", "", "Office move", false, false}},
	}
	for _, id := range []int64{first, withObject, withoutObject, ofWeekly, ofOther} {
		var have []a
		for _, al := range got[id] {
			have = append(have, a{al.Kind, al.Code, al.Text, al.Direct, al.Resolved})
		}
		if len(have) != len(want[id]) {
			t.Fatalf("run %d: %+v, want %+v", id, have, want[id])
		}
		for i := range have {
			if have[i] != want[id][i] {
				t.Fatalf("run %d: %+v, want %+v", id, have, want[id])
			}
		}
	}
	// The run dialog's list is the same.
	if one, err := tickets.Alerts(ctx, d.Bun, withObject); err != nil || len(one) != 2 {
		t.Fatalf("alerts of one run: %+v %v", one, err)
	}

	open, err := tickets.OpenForJob(ctx, d.Bun, nightly)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 2 || open[0].Code != "PSA-2" || open[1].Kind != tickets.KindRemark || open[1].Text != "Office move" {
		t.Fatalf("open on Nightly: %+v", open)
	}
	if open, _ := tickets.OpenForJob(ctx, d.Bun, weekly); len(open) != 1 || open[0].Kind != tickets.KindRemark {
		t.Fatalf("open on Weekly (no vm01): %+v", open)
	}
	if open, _ := tickets.OpenForJob(ctx, d.Bun, other); len(open) != 0 {
		t.Fatalf("open on another customer's job: %+v", open)
	}
}
