package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/retention"
	"github.com/backupchecks/backupchecks/db/dbtest"
	"github.com/backupchecks/backupchecks/jobs"
)

// TestRetentionWorker: off, a pass removes nothing; with two years set, the runs and
// mails older than that go and the pass is recorded for the settings page.
func TestRetentionWorker(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	f := dbtest.Fixture(t, d)
	job := f.Customer("Acme").Job(dbtest.Job{Name: "Nightly"})
	job.Runs(dbtest.Run{At: now.AddDate(-3, 0, 0)}, dbtest.Run{At: now.AddDate(-3, 0, 1)}, dbtest.Run{At: now.AddDate(-1, 0, 0)})
	f.Mail(dbtest.Mail{ReceivedAt: now.AddDate(-4, 0, 0)})

	w := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
		&jobs.RetentionWorker{DB: d.Bun, Now: func() time.Time { return now }, Pause: time.Millisecond})
	work := func() {
		t.Helper()
		tx, err := d.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck
		res, err := w.Work(ctx, t, tx, jobs.RetentionArgs{}, nil)
		if err != nil || res.EventKind != river.EventKindJobCompleted {
			t.Fatalf("Work: %v, %v", res, err)
		}
	}
	runs := func() int64 {
		n, err := d.Bun.NewSelect().Table("job_runs").Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return int64(n)
	}

	work()
	if n := runs(); n != 3 {
		t.Fatalf("retention off: %d runs left, want all 3", n)
	}
	if err := retention.Save(ctx, d.Bun, audit.Actor{Name: "admin"}, 2); err != nil {
		t.Fatal(err)
	}
	work()
	if n := runs(); n != 1 {
		t.Fatalf("%d runs left, want the one of last year", n)
	}
	p, err := retention.Load(ctx, d.Bun)
	if err != nil {
		t.Fatal(err)
	}
	if p.LastRunAt == nil || p.LastResult != "2 runs and 1 mails removed" {
		t.Fatalf("recorded %v %q", p.LastRunAt, p.LastResult)
	}
}
