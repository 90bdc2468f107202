package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/backupchecks/backupchecks/app/schedule"
	"github.com/backupchecks/backupchecks/db/dbtest"
	"github.com/backupchecks/backupchecks/jobs"
)

// TestMissedRunsWorker: a job that ran daily at 22:00 (New York time, the UI
// timezone here) for three weeks and then stopped gets a daily schedule learned and
// Missed runs from the first slot after it was learned; within the relearn interval
// the worker does not learn again.
func TestMissedRunsWorker(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	nyc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 30, 12, 0, 0, 0, nyc)
	if _, err := d.Bun.ExecContext(ctx, "UPDATE system_settings SET ui_timezone = 'America/New_York'"); err != nil {
		t.Fatal(err)
	}
	job := dbtest.Fixture(t, d).Customer("Acme").Job(dbtest.Job{Name: "Daily VMs", CreatedAt: time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)})
	// Runs at 22:00 New York time from 5 to 26 June.
	for day := 5; day <= 26; day++ {
		job.Run(dbtest.Run{At: time.Date(2025, 6, day, 22, 0, 0, 0, nyc)})
	}

	work := func(at time.Time) {
		t.Helper()
		w := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
			&jobs.MissedRunsWorker{DB: d.Bun, Now: func() time.Time { return at }})
		tx, err := d.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck
		res, err := w.Work(ctx, t, tx, jobs.MissedRunsArgs{}, nil)
		if err != nil {
			t.Fatalf("Work: %v", err)
		}
		if res.EventKind != river.EventKindJobCompleted {
			t.Fatalf("job ended as %s, want completed", res.EventKind)
		}
	}
	work(now)
	var learned string
	if err := d.Bun.NewRaw("SELECT learned_schedule->>'kind' || ' ' || (learned_schedule->>'time') FROM jobs").Scan(ctx, &learned); err != nil {
		t.Fatal(err)
	}
	if learned != "daily 22:00" {
		t.Fatalf("learned %q, want daily 22:00", learned)
	}
	// Learned today, so the missed runs start today: 30 June's slot is still ahead. An
	// hour after tonight's slot plus grace, it is missed.
	count := func() int {
		var n int
		if err := d.Bun.NewRaw("SELECT count(*) FROM job_runs WHERE source_type = 'missed'").Scan(ctx, &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 0 {
		t.Fatalf("%d missed runs before the first slot since learning, want 0", n)
	}
	work(now.Add(time.Hour))
	var learnedAt time.Time
	if err := d.Bun.NewRaw("SELECT schedule_learned_at FROM jobs").Scan(ctx, &learnedAt); err != nil {
		t.Fatal(err)
	}
	if !learnedAt.Equal(now) {
		t.Fatalf("learned again at %s within %s of %s", learnedAt, schedule.RelearnEvery, now)
	}
	work(time.Date(2025, 7, 1, 1, 0, 0, 0, nyc))
	if n := count(); n != 1 {
		t.Fatalf("%d missed runs after 30 June's slot, want 1", n)
	}
	var missedAt time.Time
	if err := d.Bun.NewRaw("SELECT run_at FROM job_runs WHERE source_type = 'missed'").Scan(ctx, &missedAt); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2025, 6, 30, 22, 0, 0, 0, nyc); !missedAt.Equal(want) {
		t.Fatalf("missed run at %s, want %s", missedAt, want)
	}
}

// TestClientRunsMissedRunsOnStart starts the real River client as `serve` does and
// waits for the periodic missed_runs job (run on start) to complete.
func TestClientRunsMissedRunsOnStart(t *testing.T) {
	d := dbtest.New(t)
	client, err := jobs.NewClient(d, jobs.Config{MaxWorkers: 2, Sessions: policy})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop(client, 10*time.Second)
	deadline := time.After(60 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.Job.Kind != "missed_runs" {
				continue
			}
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("missed_runs ended as %s: %v", ev.Kind, ev.Job.Errors)
			}
			return
		case <-deadline:
			t.Fatal("missed_runs did not run within a minute of start")
		}
	}
}
