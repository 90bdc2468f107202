package review_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/inbox"
	"github.com/backupchecks/backupchecks/app/ingest"
	"github.com/backupchecks/backupchecks/app/mail"
	"github.com/backupchecks/backupchecks/app/parsers/parserstest"
	"github.com/backupchecks/backupchecks/app/review"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
)

var ctx = context.Background()

func TestReviewAndUnreview(t *testing.T) {
	d := dbtest.New(t)
	reg := parserstest.Registry()
	var msgs []mail.Message
	for i, s := range []string{"Success", "Failed", "Warning"} {
		raw := parserstest.Mail(i+1, s, "Nightly")
		msgs = append(msgs, mail.Message{SourceID: string(rune('a' + i)), Raw: raw, Size: int64(len(raw))})
	}
	stored, err := ingest.StoreBatch(ctx, d.Bun, reg, db.SourceGraph, msgs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	res, err := inbox.Approve(ctx, d.Bun, audit.Actor{Name: "test"}, inbox.Approval{MailID: stored[0].MailID, NewCustomerName: "Acme"})
	if err != nil || res.Processed != 3 {
		t.Fatalf("approve: %+v %v", res, err)
	}
	var runIDs []int64
	if err := d.Bun.NewRaw("SELECT id FROM job_runs ORDER BY run_at").Scan(ctx, &runIDs); err != nil {
		t.Fatal(err)
	}
	summary := func() (int, string) {
		var n int
		var worst *string
		if err := d.Bun.NewRaw("SELECT unreviewed_count, worst_unreviewed_status FROM jobs WHERE id = ?", res.JobID).Scan(ctx, &n, &worst); err != nil {
			t.Fatal(err)
		}
		if worst == nil {
			return n, ""
		}
		return n, *worst
	}
	if n, w := summary(); n != 3 || w != "Failed" {
		t.Fatalf("before review: %d %q", n, w)
	}

	actor := audit.Actor{ID: 0, Name: "olivia"}
	// Review the failed run: the worst left is the warning.
	if n, err := review.ReviewRuns(ctx, d.Bun, actor, runIDs[1:2], time.Now()); err != nil || n != 1 {
		t.Fatalf("review: %d %v", n, err)
	}
	if n, w := summary(); n != 2 || w != "Warning" {
		t.Fatalf("after reviewing the failure: %d %q", n, w)
	}
	// Reviewing all (one already reviewed) changes two; again changes nothing.
	if n, _ := review.ReviewRuns(ctx, d.Bun, actor, runIDs, time.Now()); n != 2 {
		t.Fatalf("review all changed %d, want 2", n)
	}
	if n, _ := review.ReviewRuns(ctx, d.Bun, actor, runIDs, time.Now()); n != 0 {
		t.Fatalf("second review changed %d, want 0", n)
	}
	if n, w := summary(); n != 0 || w != "" {
		t.Fatalf("all reviewed: %d %q", n, w)
	}
	if n, err := review.UnreviewRuns(ctx, d.Bun, actor, runIDs[1:2], time.Now()); err != nil || n != 1 {
		t.Fatalf("unreview: %d %v", n, err)
	}
	if n, w := summary(); n != 1 || w != "Failed" {
		t.Fatalf("after unreview: %d %q", n, w)
	}
	events, err := review.History(ctx, d.Bun, res.JobID, 10)
	if err != nil || len(events) != 4 || events[0].Action != review.ActionUnreviewed || events[0].ActorName != "olivia" {
		t.Fatalf("history: %+v %v", events, err)
	}
	// The Logging page has one entry per action that changed runs (the one that changed
	// nothing has none).
	p, err := audit.Search(ctx, d.Bun, audit.Filter{Type: "review.", User: "olivia"}, 1, 10)
	if err != nil || p.Total != 3 || p.Entries[0].Action != "review.unreviewed" || p.Entries[2].Details["runs"] != float64(1) {
		t.Fatalf("audit: %+v %v", p.Entries, err)
	}
}

// TestQueueFilters runs the queue's SQL through every filter, its order and its pages,
// on jobs and runs written directly.
func TestQueueFilters(t *testing.T) {
	d := dbtest.New(t)
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := d.Bun.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	f := dbtest.Fixture(t, d)
	acme, globex := f.Customer("Acme"), f.Customer("Globex 100%_off")
	gone := f.AddCustomer(dbtest.Customer{Name: "Gone", Inactive: true})
	job := func(customer *dbtest.CustomerRef, name, software, typ string, archived bool) *dbtest.JobRef {
		var archivedAt *time.Time
		if archived {
			archivedAt = &now
		}
		return customer.Job(dbtest.Job{Name: name, Software: software, Type: typ, ArchivedAt: archivedAt})
	}
	run := func(job *dbtest.JobRef, status string, hoursAgo int, message string, reviewed bool) {
		var reviewedAt *time.Time
		if reviewed {
			reviewedAt = &now
		}
		job.Run(dbtest.Run{Status: status, At: now.Add(-time.Duration(hoursAgo) * time.Hour), Message: message, ReviewedAt: reviewedAt})
	}
	nightly := job(acme, "Nightly", "Veeam", "Backup Job", false)
	run(nightly, "Success", 30, "ok", false)
	run(nightly, "Failed", 5, "disk full", false)
	weekly := job(acme, "Weekly", "Veeam", "Backup Copy Job", false)
	run(weekly, "Warning", 2, "slow", false)
	hyper := job(globex, "Hyper", "Synology", "Hyper Backup", false)
	run(hyper, "Success", 1, "", false)
	done := job(globex, "Done", "Synology", "Hyper Backup", false)
	run(done, "Failed", 3, "reviewed already", true)
	archived := job(acme, "Old", "Veeam", "Backup Job", true)
	run(archived, "Failed", 1, "", false)
	inactive := job(gone, "Lost", "Veeam", "Backup Job", false)
	run(inactive, "Failed", 1, "", false)
	update := job(globex, "PBX", "3CX", "Update", false)
	run(update, "Warning", 1, "update available", false)
	if err := review.RecountJobSummaries(ctx, d.Bun, []int64{nightly.ID, weekly.ID, hyper.ID, done.ID, archived.ID, inactive.ID, update.ID}); err != nil {
		t.Fatal(err)
	}
	exec("INSERT INTO tickets (ticket_code) VALUES ('T1')")
	exec("INSERT INTO ticket_scopes (ticket_id, scope_type, job_id) SELECT id, 'job', ? FROM tickets", weekly.ID)

	from := now.Add(-10 * time.Hour)
	for _, tc := range []struct {
		name  string
		f     review.QueueFilter
		jobs  []int64
		runs  int // runs listed in all groups
		total int
	}{
		{"worst first, then newest", review.QueueFilter{}, []int64{nightly.ID, weekly.ID, hyper.ID}, 4, 3},
		{"customer", review.QueueFilter{CustomerID: globex.ID}, []int64{hyper.ID}, 1, 1},
		{"status narrows jobs and runs", review.QueueFilter{Status: "Failed"}, []int64{nightly.ID}, 1, 1},
		{"status of reviewed runs too", review.QueueFilter{Status: "Failed", IncludeReviewed: true, Software: "Synology"}, []int64{done.ID}, 1, 1},
		{"unknown status", review.QueueFilter{Status: "Failed' OR true --"}, nil, 0, 0},
		{"software", review.QueueFilter{Software: "Synology"}, []int64{hyper.ID}, 1, 1},
		{"type", review.QueueFilter{Type: "Backup Copy Job"}, []int64{weekly.ID}, 1, 1},
		{"from", review.QueueFilter{From: &from}, []int64{nightly.ID, weekly.ID, hyper.ID}, 3, 3},
		{"to", review.QueueFilter{To: &from}, []int64{nightly.ID}, 1, 1},
		{"text in job name", review.QueueFilter{Text: "hyper"}, []int64{hyper.ID}, 1, 1},
		{"text in customer, wildcards literal", review.QueueFilter{Text: "100%_off"}, []int64{hyper.ID}, 1, 1},
		{"a wildcard is not one", review.QueueFilter{Text: "1%0"}, nil, 0, 0},
		{"text in an unreviewed message", review.QueueFilter{Text: "DISK"}, []int64{nightly.ID}, 2, 1},
		{"include reviewed", review.QueueFilter{IncludeReviewed: true, Software: "Synology"}, []int64{done.ID, hyper.ID}, 2, 2},
		{"first page", review.QueueFilter{PerPage: 2}, []int64{nightly.ID, weekly.ID}, 3, 3},
		{"second page", review.QueueFilter{PerPage: 2, Page: 2}, []int64{hyper.ID}, 1, 3},
		{"past the last page", review.QueueFilter{PerPage: 2, Page: 5}, nil, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.f.PerPage == 0 {
				tc.f.PerPage = 25
			}
			groups, total, err := review.Queue(ctx, d.Bun, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var jobs []int64
			runs := 0
			for _, g := range groups {
				jobs = append(jobs, g.JobID)
				runs += len(g.Runs)
			}
			if !slices.Equal(jobs, tc.jobs) || runs != tc.runs || total != tc.total {
				t.Fatalf("jobs %v, %d runs, total %d; want %v, %d, %d", jobs, runs, total, tc.jobs, tc.runs, tc.total)
			}
		})
	}

	groups, _, err := review.Queue(ctx, d.Bun, review.QueueFilter{PerPage: 25})
	if err != nil {
		t.Fatal(err)
	}
	g := groups[0]
	if g.CustomerName != "Acme" || g.JobName != "Nightly" || g.Worst != "Failed" || g.Unreviewed != 2 || g.Ticket ||
		len(g.Runs) != 2 || g.Runs[0].Status != "Failed" || g.Runs[0].Message != "disk full" || g.Runs[0].ReviewedAt != nil {
		t.Fatalf("first group: %+v", g)
	}
	if !groups[1].Ticket || groups[1].Remark {
		t.Fatalf("Weekly has a job ticket and no remark: %+v", groups[1])
	}
	// Inside a transaction too (the queue is read after a review, in the same request).
	err = d.Bun.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		_, n, err := review.Queue(ctx, tx, review.QueueFilter{PerPage: 25})
		if err == nil && n != 3 {
			err = fmt.Errorf("total %d in a transaction", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
