package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"

	"github.com/backupchecks/backupchecks/app/audit"
	"github.com/backupchecks/backupchecks/app/auth"
	"github.com/backupchecks/backupchecks/db"
	"github.com/backupchecks/backupchecks/db/dbtest"
	"github.com/backupchecks/backupchecks/jobs"
)

var policy = auth.SessionPolicy{MaxAge: 12 * time.Hour, IdleTimeout: 2 * time.Hour}

// sessions makes one live and one expired session and returns the live token.
func sessions(t *testing.T, d *db.DB, now time.Time) string {
	t.Helper()
	ctx := context.Background()
	u, err := auth.CreateUser(ctx, d.Bun, audit.Actor{Name: "test"}, auth.NewUser{
		Username: "ops", Roles: []string{db.RoleOperator}, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	live, err := auth.CreateSession(ctx, d.Bun, policy, u.ID, "192.0.2.1", "test", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.CreateSession(ctx, d.Bun, policy, u.ID, "192.0.2.1", "test", now.Add(-13*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return live
}

func countSessions(t *testing.T, d *db.DB) int {
	t.Helper()
	n, err := d.Bun.NewSelect().Model((*db.Session)(nil)).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestSessionCleanupWorker(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	now := time.Now()
	live := sessions(t, d, now)

	w := rivertest.NewWorker(t, riverpgxv5.New(d.Pool), &river.Config{},
		&jobs.SessionCleanupWorker{DB: d.Bun, Policy: policy, Now: func() time.Time { return now }})
	tx, err := d.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	res, err := w.Work(ctx, t, tx, jobs.SessionCleanupArgs{}, nil)
	if err != nil {
		t.Fatalf("Work: %v", err)
	}
	if res.EventKind != river.EventKindJobCompleted {
		t.Fatalf("job ended as %s, want completed", res.EventKind)
	}
	if n := countSessions(t, d); n != 1 {
		t.Fatalf("%d sessions left, want 1 (the live one)", n)
	}
	if _, err := auth.LookupSession(ctx, d.Bun, policy, live, now); err != nil {
		t.Fatalf("live session gone: %v", err)
	}
}

// TestClientRunsPeriodicCleanup starts the real River client as `serve` does and
// waits for the periodic cleanup (run on start) to remove the expired session.
func TestClientRunsPeriodicCleanup(t *testing.T) {
	d := dbtest.New(t)
	sessions(t, d, time.Now())

	client, err := jobs.NewClient(d, jobs.Config{MaxWorkers: 2, Sessions: policy})
	if err != nil {
		t.Fatal(err)
	}
	completed, cancel := client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	defer cancel()
	if err := client.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer jobs.Stop(client, 10*time.Second)

	// Other periodic jobs run on start too: wait for this one's event.
	deadline := time.After(60 * time.Second)
	for done := false; !done; {
		select {
		case ev := <-completed:
			if ev.Job.Kind != "session_cleanup" {
				continue
			}
			if ev.Kind != river.EventKindJobCompleted {
				t.Fatalf("session_cleanup ended as %s", ev.Kind)
			}
			done = true
		case <-deadline:
			t.Fatal("session_cleanup did not run within a minute of start")
		}
	}
	if n := countSessions(t, d); n != 1 {
		t.Fatalf("%d sessions left, want 1", n)
	}
}
