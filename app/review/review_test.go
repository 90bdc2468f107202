package review_test

import (
	"context"
	"testing"
	"time"

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
}
